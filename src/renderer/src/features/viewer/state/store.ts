import { useSyncExternalStore } from 'react';

/** A minimal observable state container: features read it with a selector hook or subscribe. */
export interface Store<T> {
  get(): T;
  set(patch: Partial<T> | ((s: T) => Partial<T>)): void;
  /** Replaces the whole state (keys absent from `next` are dropped). */
  replace(next: T): void;
  subscribe(listener: (state: T, previous: T) => void): () => void;
}

export function createStore<T extends object>(initial: T): Store<T> {
  let state = initial;
  const listeners = new Set<(s: T, p: T) => void>();
  return {
    get: () => state,
    set(patch) {
      const previous = state;
      const p = typeof patch === 'function' ? patch(state) : patch;
      let changed = false;
      for (const k of Object.keys(p) as (keyof T)[]) {
        if (!Object.is(state[k], p[k])) {
          changed = true;
          break;
        }
      }
      if (!changed) return;
      state = { ...state, ...p };
      for (const l of listeners) l(state, previous);
    },
    replace(next) {
      if (next === state) return;
      const previous = state;
      state = next;
      for (const l of listeners) l(state, previous);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Re-renders when the selected slice of the state changes (compared with Object.is). */
export function useStore<T, S>(store: Store<T>, select: (s: T) => S): S {
  return useSyncExternalStore(
    (cb) => store.subscribe(cb),
    () => select(store.get()),
  );
}

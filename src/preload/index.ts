import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';

/**
 * The only bridge between the sandboxed renderer and the main process: one invoke function
 * and one event subscription. Requests are validated in the main process against the contract.
 */
const bridge = {
  invoke(method: string, params: unknown): Promise<unknown> {
    return ipcRenderer.invoke('api', { method, params });
  },
  onEvent(listener: (message: { event: string; data: unknown }) => void): () => void {
    const wrapped = (_e: IpcRendererEvent, message: { event: string; data: unknown }) => listener(message);
    ipcRenderer.on('api-event', wrapped);
    return () => ipcRenderer.off('api-event', wrapped);
  },
};

contextBridge.exposeInMainWorld('tokenunify', bridge);

export type TokenUnifyBridge = typeof bridge;

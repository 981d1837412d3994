import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, session, shell } from 'electron';
import { createAppSession, type AppSession } from '../api/session';
import { isMethodName } from '../../shared/api/contract';
import { contentSecurityPolicy } from '../security';

/**
 * Electron entry: one window, a sandboxed renderer with context isolation and no Node,
 * the API over IPC ('api' invoke channel, 'api-event' pushes), strict CSP, no navigation.
 */
let appSession: AppSession | null = null;
const here = dirname(fileURLToPath(import.meta.url));

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    title: 'TokenUnify Studio',
    show: false,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  void win.loadFile(join(here, '../renderer/index.html'));
  return win;
}

async function main(): Promise<void> {
  await app.whenReady();
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy()] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

  const userDataDir = app.getPath('userData');
  const projectArg = process.argv.find((a) => a.startsWith('--project='))?.slice('--project='.length);
  // `npm start` passes the demo project; otherwise the project browser opens with none.
  const projectDir = projectArg;
  appSession = await createAppSession({ mode: 'electron', userDataDir, projectDir });
  const { ctx, dispatch } = appSession;

  ipcMain.handle('api', async (event, message: unknown) => {
    if (event.senderFrame?.url && !event.senderFrame.url.startsWith('file://')) {
      return { ok: false, error: { code: 'UNAUTHORIZED', message: 'API calls are only accepted from the app itself' } };
    }
    const m = message as { method?: unknown; params?: unknown } | null;
    if (!m || !isMethodName(m.method)) {
      return { ok: false, error: { code: 'BAD_REQUEST', message: `unknown method ${JSON.stringify(m?.method)}` } };
    }
    return dispatch(m.method, m.params);
  });

  const win = createWindow();
  const unsubscribe = ctx.events.subscribe((event, data) => {
    if (!win.isDestroyed()) win.webContents.send('api-event', { event, data });
  });
  win.on('closed', unsubscribe);

  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    void appSession?.ctx.dispose();
  });
}

void main();

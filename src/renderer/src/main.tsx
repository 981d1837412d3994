import '@mantine/core/styles.css';
import './app/app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider } from '@mantine/core';
import { ApiClient } from './api/client';
import { ApiProvider } from './api/context';
import { detectTransport } from './api/transports';
import { App } from './app/App';
import { theme } from './app/theme';

const client = new ApiClient(detectTransport());
// Exposed for end-to-end tests and debugging from the devtools console.
(window as unknown as { tokenunifyApi: ApiClient }).tokenunifyApi = client;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="dark">
      <ApiProvider client={client}>
        <App />
      </ApiProvider>
    </MantineProvider>
  </StrictMode>,
);

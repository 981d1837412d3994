import { historyCommand } from './proofreading-session';

export const redoCommand = historyCommand('redo', 'Redo the label edit undone last.', (s) => s.redo());

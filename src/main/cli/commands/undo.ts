import { historyCommand } from './proofreading-session';

export const undoCommand = historyCommand('undo', 'Undo the newest label edit of a project.', (s) => s.undo());

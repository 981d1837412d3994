import type { CliCommand } from '../command';
import { demoCommand } from './demo';
import { infoCommand } from './info';
import { mergeCommand } from './merge';
import { redoCommand } from './redo';
import { segmentsCommand } from './segments';
import { serveCommand } from './serve';
import { undoCommand } from './undo';
import { importCliCommand } from '../../volumes/cli-commands';
import { exportCliCommand, exportMeshesCommand, exportModelCommand, exportSegmentsCommand } from '../../exports/cli';
import { evaluateCommand } from './evaluate';
import { finetuneCommand } from './finetune';
import { inferCommand } from './infer';
import { pretrainCommand } from './pretrain';
import { segmentCommand } from './segment';
import { modelImportCommand, modelInfoCommand } from '../../ml/cli-commands';

/** Every CLI command, in the order `tokenunify --help` lists them. */
export const COMMANDS: CliCommand[] = [demoCommand, infoCommand, serveCommand, importCliCommand, exportCliCommand, exportSegmentsCommand, exportMeshesCommand, exportModelCommand, segmentsCommand, mergeCommand, undoCommand, redoCommand, pretrainCommand, finetuneCommand, inferCommand, segmentCommand, evaluateCommand, modelInfoCommand, modelImportCommand];

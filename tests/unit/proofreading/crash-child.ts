/**
 * Child process of the crash test: opens the project (which recovers any interrupted edit),
 * runs one operation, exits. The test kills it with SIGKILL from outside at a random moment,
 * or it kills itself at a named point (TOKENUNIFY_CRASH_AT, see crash-points.ts).
 * usage: node crash-child.mjs PROJECT_DIR OP_JSON LAYER_IDS_JSON
 */
import { ProofreadingService } from '../../../src/main/proofreading/service';
import { Project } from '../../../src/main/store/project';
import { runOp, type CrashOp } from './crash-ops';

const [dir, opJson, layersJson] = process.argv.slice(2);
const project = Project.open(dir);
const service = await ProofreadingService.open(project);
let code = 0;
try {
  await runOp(service, JSON.parse(opJson) as CrashOp, JSON.parse(layersJson) as Record<string, string>);
  process.stdout.write('done\n');
} catch (err) {
  process.stdout.write(`failed: ${(err as Error).message}\n`);
  code = 3;
} finally {
  await service.close();
  project.close();
}
process.exit(code);

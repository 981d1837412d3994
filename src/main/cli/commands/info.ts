import { Project } from '../../store/project';
import { JSON_OPTION, type CliCommand } from '../command';
import { projectReport } from '../project-report';

export const infoCommand: CliCommand = {
  name: 'info',
  summary: 'Show a project: name, schema, layers, models and recent jobs.',
  args: ['DIR'],
  options: { ...JSON_OPTION },
  details: 'Reads the project without locking it, so it also works while the app has it open.',
  async run({ positionals, values }, io) {
    const project = Project.inspect(positionals[0]);
    try {
      const report = projectReport(project);
      if (values.json) io.json(report);
      else {
        io.out(`${report.name}  (${report.path})`);
        io.out(`  id ${report.id}, schema v${report.schemaVersion}, created ${report.createdAt}`);
        io.out(`  layers: ${report.layers.length}`);
        for (const l of report.layers) {
          io.out(`    ${l.name.padEnd(20)} ${l.kind.padEnd(10)} ${l.dtype.padEnd(8)} shape ${l.shape.join('x')}  res ${l.resolution.join('x')} nm  levels ${l.levels.length}`);
        }
        io.out(`  models: ${report.models.length}`);
        for (const m of report.models) io.out(`    ${m.name} (${m.preset})`);
        io.out(`  jobs: ${report.jobs.length} recorded`);
      }
      return 0;
    } finally {
      project.close();
    }
  },
};

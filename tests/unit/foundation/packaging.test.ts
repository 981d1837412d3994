import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

interface BuilderConfig {
  appId: string;
  directories: { output: string; buildResources: string };
  files: string[];
  asarUnpack: string[];
  extraResources: { from: string; to: string }[];
  linux: { target: string[]; icon: string };
  mac: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
}

describe('electron-builder configuration', () => {
  const config = load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

  it('targets the three desktop platforms', () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.mac.target).toContain('dmg');
    expect(config.win.target).toContain('nsis');
    expect(pkg.scripts.dist).toContain('electron-builder.yml');
  });

  it('names files that exist: icons, the app entry, unpacked native modules, the addon', () => {
    for (const icon of [config.linux.icon, config.mac.icon, config.win.icon]) expect(existsSync(join(ROOT, icon)), icon).toBe(true);
    expect(config.files).toContain('out/**');
    expect(pkg.main).toBe('out/main/index.js');
    for (const built of ['out/main/index.js', 'out/main/cli.js', 'out/main/worker.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
      expect(existsSync(join(ROOT, built)), `${built} (run npm run build)`).toBe(true);
    }
    for (const pattern of config.asarUnpack) {
      const dir = pattern.replace(/\/\*\*$/, '');
      expect(existsSync(join(ROOT, dir)), dir).toBe(true);
      expect(pkg.dependencies[dir.replace(/^node_modules\//, '')], `${dir} must be a runtime dependency`).toBeDefined();
    }
    const addon = config.extraResources.find((r) => r.from.endsWith('.node'));
    expect(addon, 'the native addon is bundled').toBeDefined();
    expect(existsSync(join(ROOT, addon!.from)), addon!.from).toBe(true);
    // The packaged app looks for the addon where extraResources puts it.
    const loader = readFileSync(join(ROOT, 'src/main/native/addon.ts'), 'utf8');
    expect(loader).toContain(`'${addon!.to.split('/')[0]}', '${addon!.to.split('/')[1]}'`);
  });
});

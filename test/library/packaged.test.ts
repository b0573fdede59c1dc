import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../state-machines/lifeline-function';

/**
 * Lifeline as another CDK app gets it: the tarball `npm pack` makes, unpacked into that app's node_modules (its
 * other packages are this checkout's, linked, so no registry is needed), imported by name and synthesized there with
 * every Lambda bundled.
 */
// Outside this checkout, so that nothing of it (its lockfile above all) is found by walking up.
const consumer = mkdtempSync(join(tmpdir(), 'lifeline-consumer-'));
afterAll(() => rmSync(consumer, { recursive: true, force: true }));

describe('the packed library', () => {
  it('installs from its npm pack tarball into another app, which imports it by name and synthesizes, bundles included', () => {
    // Prepare: the tarball, unpacked as node_modules/lifeline; every other package linked from this checkout.
    const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', consumer], { cwd: PROJECT_ROOT })
      .toString()
      .trim()
      .split('\n')
      .pop() as string;
    const modules = join(consumer, 'node_modules');
    mkdirSync(join(modules, 'lifeline'), { recursive: true });
    execFileSync('tar', ['-xzf', join(consumer, tarball), '-C', join(modules, 'lifeline'), '--strip-components=1']);
    for (const entry of readdirSync(join(PROJECT_ROOT, 'node_modules')))
      if (entry !== 'lifeline') symlinkSync(join(PROJECT_ROOT, 'node_modules', entry), join(modules, entry));
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'shop-infra', private: true, type: 'module' }),
    );
    writeFileSync(
      join(consumer, 'shop-recovery.ts'),
      readFileSync(join(PROJECT_ROOT, 'test', 'library', 'shop-recovery.ts')),
    );
    writeFileSync(
      join(consumer, 'app.ts'),
      [
        "import { App } from 'aws-cdk-lib';",
        "import { ShopBackups, ShopDrills } from './shop-recovery';",
        "const app = new App({ outdir: 'cdk.out' });",
        "new ShopBackups(app, 'ShopBackups', { env: { account: '111111111111', region: 'eu-west-1' } });",
        "new ShopDrills(app, 'ShopDrills', { env: { account: '111111111111', region: 'eu-central-1' } });",
        'app.synth();',
      ].join('\n'),
    );
    // Act
    execFileSync(join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), ['app.ts'], { cwd: consumer, stdio: 'pipe' });
    // Assess: both templates, and each of their functions' code is a bundle in the consumer's assembly.
    const out = join(consumer, 'cdk.out');
    const template = JSON.parse(readFileSync(join(out, 'ShopDrills.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: { Code?: { S3Key?: unknown } } }>;
    };
    const keys = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => String(r.Properties?.Code?.S3Key));
    expect(keys.length).toBeGreaterThanOrEqual(9);
    for (const key of keys) {
      const bundle = join(out, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
      expect(readFileSync(bundle, 'utf8').length, bundle).toBeGreaterThan(1000);
    }
    expect(readdirSync(out)).toContain('ShopBackups.template.json');
  }, 300_000); // npm pack, and bundling every Lambda once more: slow on a loaded machine, whatever its speed
});

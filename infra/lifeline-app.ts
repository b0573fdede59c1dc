import { Annotations, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { lifecycleWarnings } from './config/buckets';
import type { LifelineConfig } from './config/schema';
import { suppressJustifiedFindings } from './nag-suppressions';
import { namesOf } from './names';
import { DrStack } from './stacks/dr-stack';
import { PrimaryStack } from './stacks/primary-stack';
import { VaultStack } from './stacks/vault-stack';

export interface LifelineStacks {
  readonly primary: PrimaryStack;
  readonly dr: DrStack;
  readonly vault?: VaultStack;
}

/** Stack names are stable: `<name>-primary`, `<name>-dr` and `<name>-vault` (name defaults to "lifeline"). */
export const stackNames = (config: LifelineConfig) => namesOf(config).stacks;

/**
 * The stacks of one config, in `app` (an App, or a Stage of a pipeline). The primary and DR stacks go into `config.account` when it is set (else into
 * `account`, by default the account of the credentials synth runs with); the vault trusts `config.account`
 * only, whatever credentials synth runs with (the vault stack is deployed with the vault account's).
 */
export function buildLifeline(
  app: Construct,
  config: LifelineConfig,
  defaultAccount = process.env.CDK_DEFAULT_ACCOUNT,
): LifelineStacks {
  const names = stackNames(config);
  const account = config.account ?? defaultAccount;
  const dr = new DrStack(app, names.dr, {
    config,
    env: { account, region: config.drRegion },
    description: 'Lifeline DR region: copies, drills, failover',
  });
  const primary = new PrimaryStack(app, names.primary, {
    config,
    env: { account, region: config.primaryRegion },
    description: 'Lifeline primary region: scheduled backups',
  });
  primary.addStackDependency(dr, 'backups copy into the DR key, which the DR stack creates');
  // Never the synth credentials' account: deployed with vault credentials, that would make the vault trust itself.
  if (config.vault && !config.account)
    throw new Error('account: is required when vault is set (the production account the vault trusts)');
  const vault =
    config.vault && config.account
      ? new VaultStack(app, names.vault, {
          config,
          sourceAccount: config.account,
          env: { account: config.vault.account, region: config.drRegion },
          description: 'Lifeline vault account: a third copy out of reach of production',
        })
      : undefined;
  for (const stack of [primary, dr, vault]) if (stack) suppressJustifiedFindings(stack, config.name);
  for (const warning of bucketWarnings(config)) Annotations.of(primary).addWarningV2(warning.id, warning.message);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { primary, dr, vault };
}

/**
 * What synth says about the buckets without failing: COMPLIANCE locks, which nobody can undo; tiers that AWS accepts
 * but charges for (a class left before its minimum storage duration); existing buckets to import first.
 */
export function bucketWarnings(config: LifelineConfig): { id: string; message: string }[] {
  const stacks = stackNames(config);
  return config.buckets.flatMap((bucket, i) => {
    const warnings = lifecycleWarnings(bucket, i).map((w) => ({
      id: `lifeline:buckets:early-deletion:${bucket.id}:${formatPath(w.path)}`,
      message: `${formatPath(w.path)}: ${w.message}, got "${String(w.input)}"`,
    }));
    const lock = bucket.objectLock;
    if (lock?.mode === 'COMPLIANCE')
      warnings.push({
        id: `lifeline:buckets:compliance:${bucket.id}`,
        message: `buckets[${i}].objectLock.mode: COMPLIANCE is irreversible: for ${lock.retention.text} after each object version is written, nobody (not the account's root user) can delete or overwrite it or shorten its lock, and the bucket cannot be deleted while it holds one${bucket.replicate ? `; its replica in ${config.drRegion} is locked the same` : ''}. Try the settings with GOVERNANCE first.`,
      });
    if (bucket.existing)
      warnings.push({
        id: `lifeline:buckets:existing:${bucket.id}`,
        message: `buckets[${i}].existing: ${bucket.bucketName} must be imported into ${stacks.primary} once (cdk import ${stacks.primary}) before the first deploy with it, which otherwise fails because the bucket exists; its objects written before replication is on are not replicated (use S3 Batch Replication) and keep their encryption.`,
      });
    return warnings;
  });
}

const formatPath = (path: (string | number)[]) =>
  path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');

import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { LifelineConfig } from './config/schema';
import { suppressJustifiedFindings } from './nag-suppressions';
import { DrStack } from './stacks/dr-stack';
import { PrimaryStack } from './stacks/primary-stack';
import { VaultStack } from './stacks/vault-stack';

export interface LifelineStacks {
  readonly primary: PrimaryStack;
  readonly dr: DrStack;
  readonly vault?: VaultStack;
}

/** Stack names are stable: `<name>-primary`, `<name>-dr` and `<name>-vault` (name defaults to "lifeline"). */
export function stackNames(config: LifelineConfig) {
  return { primary: `${config.name}-primary`, dr: `${config.name}-dr`, vault: `${config.name}-vault` };
}

export function buildLifeline(
  app: App,
  config: LifelineConfig,
  account = process.env.CDK_DEFAULT_ACCOUNT,
): LifelineStacks {
  const names = stackNames(config);
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
  const vault = config.vault
    ? new VaultStack(app, names.vault, {
        config,
        sourceAccount: account ?? primary.account,
        env: { account: config.vault.account, region: config.vault.region ?? config.drRegion },
        description: 'Lifeline vault account: a third copy out of reach of production',
      })
    : undefined;
  for (const stack of [primary, dr, vault]) if (stack) suppressJustifiedFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { primary, dr, vault };
}

#!/usr/bin/env node
// The `lifeline` command: registers tsx (the project runs TypeScript with it) and runs the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
// FuseScope CLI entry: runs the TypeScript sources of src/cli through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
// FuseScope CLI entry: runs the TypeScript sources of src/cli through tsx (no build step).
import { register } from 'tsx/esm/api';

// h5wasm's Node build is one 4 MB file that tsx would transform on every run (about 6 s and
// 500 MB extra for `st`); loading it before tsx's hooks are registered skips that.
if (process.argv[2] === 'st' || process.argv[2] === 'predict') await import('h5wasm/node');

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

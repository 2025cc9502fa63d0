import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { securityHeaders } from '../../vite.config';

const root = resolve(import.meta.dirname, '../..');

describe('production hosting headers', () => {
  it('public/_headers and docs/hosting.md carry the same COOP/COEP/CSP as the dev and preview servers', () => {
    const headers = readFileSync(resolve(root, 'public/_headers'), 'utf8');
    const doc = readFileSync(resolve(root, 'docs/hosting.md'), 'utf8');
    for (const [name, value] of Object.entries(securityHeaders)) {
      expect(headers).toContain(`  ${name}: ${value}\n`);
      expect(doc).toContain(`add_header ${name} "${value}" always;`);
    }
  });
  it('the CSP allows WebAssembly without unsafe-eval', () => {
    const csp = securityHeaders['Content-Security-Policy'];
    expect(csp).toContain("'wasm-unsafe-eval'");
    expect(csp).not.toMatch(/'unsafe-eval'/);
    expect(csp).toContain("default-src 'self'");
  });
});

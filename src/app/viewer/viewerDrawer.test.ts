import { describe, expect, it } from 'vitest';
import { getDrawerParam, getViewerDrawer, isSoftwareRenderer } from './viewerDrawer';

describe('viewer drawer choice', () => {
  it('reads ?drawer=webgl|canvas and ignores anything else', () => {
    expect(getDrawerParam('?drawer=canvas')).toBe('canvas');
    expect(getDrawerParam('?slide=a.svs&drawer=webgl')).toBe('webgl');
    expect(getDrawerParam('?drawer=html')).toBeNull();
    expect(getDrawerParam('')).toBeNull();
  });

  it('recognises software WebGL renderers by name', () => {
    // what headless Chromium reports here (ANGLE over SwiftShader)
    expect(isSoftwareRenderer('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)')).toBe(true);
    expect(isSoftwareRenderer('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe(true);
    expect(isSoftwareRenderer('ANGLE (Microsoft, Microsoft Basic Render Driver (0x0000008C) Direct3D11 vs_5_0 ps_5_0, D3D11)')).toBe(true);
    expect(isSoftwareRenderer('ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 (0x00002206) Direct3D11 vs_5_0 ps_5_0, D3D11)')).toBe(false);
    expect(isSoftwareRenderer('Apple M1')).toBe(false);
    expect(isSoftwareRenderer('Mesa Intel(R) UHD Graphics 620 (KBL GT2)')).toBe(false);
  });

  it('lets the URL override the automatic choice', () => {
    expect(getViewerDrawer('?drawer=webgl')).toEqual({ drawer: 'webgl', reason: 'url' });
    expect(getViewerDrawer('?drawer=canvas')).toEqual({ drawer: 'canvas', reason: 'url' });
  });
});

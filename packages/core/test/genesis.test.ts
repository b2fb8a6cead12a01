import { describe, expect, it } from 'vitest';
import { canonicalJson, DEFAULT_SETTINGS, genesisToJson, parseGenesis } from '../src/genesis.js';

const nodeId = `0x${'11'.repeat(64)}`;
const base = {
  chainId: '20200',
  chainName: 'test',
  suite: 'ecdsa',
  timestamp: '1700000000000',
  nodes: [{ nodeId, org: 'org0' }],
};

describe('genesis', () => {
  it('parses, fills default settings, and round-trips through JSON', () => {
    const g = parseGenesis(base);
    expect(g.chainId).toBe(20200n);
    expect(g.settings).toEqual(DEFAULT_SETTINGS);
    expect(g.nodes[0]?.role).toBe('sealer');
    expect(parseGenesis(JSON.parse(JSON.stringify(genesisToJson(g))))).toEqual(g);
  });

  it.each([
    [{ ...base, suite: 'rsa' }, /suite/],
    [{ ...base, chainId: '-1' }, /chainId/],
    [{ ...base, chainId: 1.5 }, /chainId/],
    [{ ...base, nodes: [] }, /nodes/],
    [{ ...base, nodes: [{ nodeId: '0x12', org: 'o' }] }, /nodeId/],
    [
      {
        ...base,
        nodes: [
          { nodeId, org: 'o' },
          { nodeId, org: 'p' },
        ],
      },
      /duplicate/,
    ],
    [{ ...base, nodes: [{ nodeId, org: 'o', role: 'observer' }] }, /sealer/],
    [{ ...base, settings: { txGasLimit: '10' } }, /txGasLimit/],
    [{ ...base, settings: { maxTxsPerBlock: 0 } }, /maxTxsPerBlock/],
    [{ ...base, alloc: [{ address: '0x1234', balance: '1' }] }, /alloc\[0\]\.address/],
    ['not an object', /object/],
  ])('rejects %j with an error naming the field', (json, pattern) => {
    expect(() => parseGenesis(json)).toThrow(pattern);
  });

  it('canonical JSON sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[1,{"y":1,"z":0}]},"b":1}',
    );
  });
});

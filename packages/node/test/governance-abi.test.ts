import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import fc from 'fast-check';
import {
  decodeAbiParameters,
  encodeAbiParameters,
  encodeEventTopics,
  encodeFunctionData,
  parseAbiItem,
} from 'viem';
import { describe, expect, it } from 'vitest';
import {
  type AbiParameter,
  decodeEventLog,
  decodeParameters,
  encodeFunctionCall,
  encodeParameters,
  findAbiItem,
} from '../src/governance/abi.js';
import { describeAction, encodeAction } from '../src/governance/actions.js';
import { COMMITTEE, PERMISSIONS } from '../src/governance/contracts.generated.js';

/**
 * The node's small ABI codec against viem (an independent implementation of the Solidity ABI spec):
 * random values of the shapes the system contracts use must encode to the same bytes and decode back.
 */
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map(bytesToHex);
const uint = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
const bytes = fc.uint8Array({ maxLength: 100 }).map(bytesToHex);
const text = fc.string({ maxLength: 40 });
const selector = fc.uint8Array({ minLength: 4, maxLength: 4 }).map(bytesToHex);

const ROW: AbiParameter = {
  type: 'tuple[]',
  name: 'rows',
  components: [
    { type: 'address', name: 'target' },
    { type: 'bytes4', name: 'selector' },
    { type: 'uint256', name: 'mode' },
    { type: 'bytes', name: 'data' },
    { type: 'string', name: 'name' },
  ],
};
const PARAMS: AbiParameter[] = [
  { type: 'uint256', name: 'n' },
  { type: 'bool', name: 'flag' },
  { type: 'address[]', name: 'accounts' },
  { type: 'string', name: 'description' },
  { type: 'bytes[]', name: 'ids' },
  ROW,
];
const row = fc.record({ target: address, selector, mode: uint, data: bytes, name: text });
const values = fc.tuple(
  uint,
  fc.boolean(),
  fc.array(address, { maxLength: 4 }),
  text,
  fc.array(bytes, { maxLength: 3 }),
  fc.array(row, { maxLength: 3 }),
);

describe('the governance ABI codec', () => {
  it('encodes exactly as viem does and decodes its own encoding (property)', () => {
    fc.assert(
      fc.property(values, (v) => {
        const ours = encodeParameters(PARAMS, v);
        const theirs = encodeAbiParameters(PARAMS as never, v as never);
        expect(bytesToHex(ours)).toBe(theirs);
        const back = decodeParameters(PARAMS, ours);
        expect(back.slice(0, 5)).toEqual(v.slice(0, 5));
        expect(back[5]).toEqual(v[5]);
        // viem decodes ours back to the same values too.
        expect(decodeAbiParameters(PARAMS as never, bytesToHex(ours) as `0x${string}`)[0]).toBe(v[0]);
      }),
      { numRuns: 200 },
    );
  });

  it('builds the same function calls and event topics as viem', () => {
    const propose = findAbiItem(COMMITTEE.abi, 'function', 'propose');
    const args = [
      '0x0000000000000000000000000000000000001001',
      '0x12345678aa',
      'raise the limit',
      5n,
    ] as const;
    expect(bytesToHex(encodeFunctionCall(propose, args))).toBe(
      encodeFunctionData({ abi: COMMITTEE.abi, functionName: 'propose', args }),
    );
    const event = parseAbiItem(
      'event Voted(uint256 indexed id, address indexed voter, bool support, uint256 weight)',
    );
    const topics = encodeEventTopics({ abi: [event], eventName: 'Voted', args: { id: 7n, voter: args[0] } });
    const data = encodeAbiParameters([{ type: 'bool' }, { type: 'uint256' }], [true, 3n]);
    const decoded = decodeEventLog(
      COMMITTEE.abi,
      topics.map((t) => hexToBytes(t as string)),
      hexToBytes(data),
    );
    expect(decoded).toEqual({ event: 'Voted', args: { id: 7n, voter: args[0], support: true, weight: 3n } });
  });

  it('rejects truncated and out-of-range data instead of misreading it', () => {
    const encoded = encodeParameters(PARAMS, [1n, true, [], 'x', [], []]);
    expect(() => decodeParameters(PARAMS, encoded.subarray(0, encoded.length - 1))).toThrow(/ABI/);
    const hostileOffset = new Uint8Array(64);
    hostileOffset[0] = 0xff;
    expect(() => decodeParameters([{ type: 'bytes' }], hostileOffset)).toThrow(/ABI/);
    expect(() => encodeParameters([{ type: 'uint8' }], [256n])).toThrow(/out of range/);
  });

  it('reads an action back as it was proposed', () => {
    const frozen = hexToBytes('0x00000000000000000000000000000000000000aa');
    const { target, data } = encodeAction({ kind: 'freeze-account', account: frozen, frozen: true });
    expect(bytesToHex(target)).toBe(PERMISSIONS.address);
    expect(describeAction(target, data)).toMatchObject({
      contract: 'Permissions',
      function: 'setAccountFrozen',
      summary: `freeze account ${bytesToHex(frozen)}`,
    });
    const setting = encodeAction({ kind: 'setting', key: 'sealIntervalMs', value: 250n });
    expect(describeAction(setting.target, setting.data)?.summary).toBe('set sealIntervalMs to 250');
    expect(describeAction(target, hexToBytes('0xdeadbeef'))).toBeNull();
  });
});

import { fileURLToPath } from 'node:url';
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { createEVM, type EVM } from '@ethereumjs/evm';
import { Address } from '@ethereumjs/util';
import { bytesToHex, hexToBytes } from '@weft/crypto/bytes';
import { isWeftError, type WeftError } from '@weft/crypto/errors';
import { getAddress, Interface } from 'ethers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CompiledContract, compileSolidity } from '../src/compile.js';
import {
  type Abi,
  decodeEventLog,
  decodeResult,
  decodeRevert,
  encodeCall,
  encodeDeploy,
  parseCliArgs,
} from '../src/contract.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const REVERTER_SOURCE = `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;
contract Reverter {
  error Unauthorized(address who, uint256 level);
  function addOne(uint8 x) external pure returns (uint8) { return x + 1; }
  function ratio(uint256 a, uint256 b) external pure returns (uint256) { return a / b; }
  function custom() external view { revert Unauthorized(msg.sender, 7); }
  function silent() external pure { revert(); }
  function pair() external pure returns (uint256 n, string memory s) { return (42, "weft"); }
}`;

function weftError(run: () => unknown): WeftError {
  try {
    run();
  } catch (err) {
    if (isWeftError(err)) return err;
    throw err;
  }
  throw new Error('expected a WeftError');
}

const ALICE = hexToBytes('0x1000000000000000000000000000000000000001');
const BOB_HEX = '0x2000000000000000000000000000000000000002';

describe('contract helpers against WeftToken running in @ethereumjs/evm', () => {
  let token: CompiledContract;
  let reverter: CompiledContract;
  let evm: EVM;
  let tokenAddress: Address;
  let reverterAddress: Address;

  async function run(to: Address | undefined, data: Uint8Array, caller = ALICE) {
    const result = await evm.runCall({
      caller: new Address(caller),
      ...(to === undefined ? {} : { to }),
      data,
      gasLimit: 10_000_000n,
    });
    return result;
  }

  beforeAll(async () => {
    const tokenBuild = await compileSolidity({ files: ['contracts/WeftToken.sol'], basePath: repoRoot });
    token = tokenBuild.contracts.WeftToken!;
    reverter = (await compileSolidity({ sources: { 'Reverter.sol': REVERTER_SOURCE } })).contracts.Reverter!;
    evm = await createEVM({ common: new Common({ chain: Mainnet, hardfork: Hardfork.Osaka }) });
    const deployed = await run(
      undefined,
      encodeDeploy(token.abi, token.bytecode, ['Weft Token', 'WFT', 1000n]),
    );
    tokenAddress = deployed.createdAddress!;
    reverterAddress = (await run(undefined, encodeDeploy(reverter.abi, reverter.bytecode))).createdAddress!;
  });

  it('deploys with constructor arguments and reads them back', async () => {
    const view = async (fn: string, args: unknown[] = []) =>
      decodeResult(
        token.abi,
        fn,
        (await run(tokenAddress, encodeCall(token.abi, fn, args))).execResult.returnValue,
      );
    expect(await view('name')).toBe('Weft Token');
    expect(await view('symbol')).toBe('WFT');
    expect(await view('decimals')).toBe(18);
    expect(await view('totalSupply')).toBe(1000n);
    expect(await view('balanceOf', [ALICE])).toBe(1000n);
  });

  it('transfers, returns true and emits a Transfer event that decodes', async () => {
    const args = parseCliArgs(token.abi, 'transfer', [BOB_HEX, '250']);
    const result = await run(tokenAddress, encodeCall(token.abi, 'transfer', args));
    expect(result.execResult.exceptionError).toBeUndefined();
    expect(decodeResult(token.abi, 'transfer', result.execResult.returnValue)).toBe(true);
    const logs = result.execResult.logs ?? [];
    expect(logs).toHaveLength(1);
    const [, topics, data] = logs[0]!;
    expect(decodeEventLog(token.abi, { topics, data })).toEqual({
      eventName: 'Transfer',
      args: {
        from: getAddress('0x1000000000000000000000000000000000000001'),
        to: getAddress(BOB_HEX),
        value: 250n,
      },
    });
    const balance = await run(tokenAddress, encodeCall(token.abi, 'balanceOf', [BOB_HEX]));
    expect(decodeResult(token.abi, 'balanceOf', balance.execResult.returnValue)).toBe(250n);
  });

  it('explains ERC-20 reverts by their require message', async () => {
    const tooMuch = await run(tokenAddress, encodeCall(token.abi, 'transfer', [BOB_HEX, 10n ** 30n]));
    expect(tooMuch.execResult.exceptionError?.error).toBe('revert');
    expect(decodeRevert(tooMuch.execResult.returnValue, token.abi)).toEqual({
      kind: 'error',
      message: 'insufficient balance',
    });
    const noAllowance = await run(
      tokenAddress,
      encodeCall(token.abi, 'transferFrom', [BOB_HEX, ALICE, 1n]),
      hexToBytes('0x3000000000000000000000000000000000000003'),
    );
    expect(decodeRevert(noAllowance.execResult.returnValue).message).toBe('insufficient allowance');
    const toZero = await run(tokenAddress, encodeCall(token.abi, 'transfer', [new Uint8Array(20), 1n]));
    expect(decodeRevert(toZero.execResult.returnValue).message).toBe('transfer to the zero address');
  });

  it('decodes approvals and spends allowances', async () => {
    const spender = hexToBytes('0x4000000000000000000000000000000000000004');
    const approve = await run(tokenAddress, encodeCall(token.abi, 'approve', [spender, 100n]));
    const [, topics, data] = approve.execResult.logs![0]!;
    const decoded = decodeEventLog(token.abi, { topics, data });
    expect(decoded.eventName).toBe('Approval');
    expect(decoded.args).toMatchObject({ value: 100n });
    const spend = await run(
      tokenAddress,
      encodeCall(token.abi, 'transferFrom', [ALICE, BOB_HEX, 60n]),
      spender,
    );
    expect(spend.execResult.exceptionError).toBeUndefined();
    const left = await run(tokenAddress, encodeCall(token.abi, 'allowance', [ALICE, spender]));
    expect(decodeResult(token.abi, 'allowance', left.execResult.returnValue)).toBe(40n);
  });

  it('explains panics, custom errors and empty reverts', async () => {
    const overflow = await run(reverterAddress, encodeCall(reverter.abi, 'addOne', [255]));
    expect(decodeRevert(overflow.execResult.returnValue)).toEqual({
      kind: 'panic',
      code: 0x11n,
      message: 'panic 0x11: arithmetic overflow or underflow',
    });
    const divide = await run(reverterAddress, encodeCall(reverter.abi, 'ratio', [1n, 0n]));
    expect(decodeRevert(divide.execResult.returnValue)).toMatchObject({ kind: 'panic', code: 0x12n });

    const custom = await run(reverterAddress, encodeCall(reverter.abi, 'custom'));
    expect(decodeRevert(custom.execResult.returnValue, reverter.abi)).toEqual({
      kind: 'custom',
      name: 'Unauthorized',
      args: [getAddress('0x1000000000000000000000000000000000000001'), 7n],
      message: 'Unauthorized("0x1000000000000000000000000000000000000001", 7)',
    });
    // Without the ABI the selector is unknown, and we say so rather than guess.
    const unknown = decodeRevert(custom.execResult.returnValue);
    expect(unknown.kind).toBe('unknown');
    expect(unknown.message).toContain(
      Interface.from(JSON.stringify(reverter.abi)).getError('Unauthorized')!.selector,
    );

    const silent = await run(reverterAddress, encodeCall(reverter.abi, 'silent'));
    expect(decodeRevert(silent.execResult.returnValue).kind).toBe('empty');
  });

  it('decodes multiple return values as an array', async () => {
    const pair = await run(reverterAddress, encodeCall(reverter.abi, 'pair'));
    expect(decodeResult(reverter.abi, 'pair', pair.execResult.returnValue)).toEqual([42n, 'weft']);
  });
});

const erc20 = new Interface([
  'function transfer(address to, uint256 value) returns (bool)',
  'function balanceOf(address) view returns (uint256)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'function multi(uint8[2][] grid, (uint64 id, bytes32 tag)[] items, int16 delta, bool flag, bytes data, string note)',
  'function f(uint256 a)',
  'function f(uint256 a, uint256 b)',
  'function f(address a)',
  'constructor(string name, uint256 supply)',
]);
const abi = JSON.parse(erc20.formatJson()) as Abi;

describe('encodeCall / decodeResult / decodeEventLog agree with ethers', () => {
  it('encodes transfer calls byte for byte like ethers (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
        (to, value) => {
          const ours = encodeCall(abi, 'transfer', [to, value]);
          const theirs = hexToBytes(
            erc20.encodeFunctionData('transfer', [getAddress(bytesToHex(to)), value]),
          );
          expect(ours).toEqual(theirs);
          expect(decodeResult(abi, 'balanceOf', ours.subarray(4 + 32))).toBe(value);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('encodes nested arrays and tuples parsed from CLI strings like ethers', () => {
    const args = parseCliArgs(abi, 'multi', [
      '[[1,2],["3","0x04"]]',
      `[{"id":"18446744073709551615","tag":"0x${'ab'.repeat(32)}"},[7,"0x${'00'.repeat(32)}"]]`,
      '-32768',
      'true',
      '0xDEADbeef',
      'héllo, world',
    ]);
    const ours = encodeCall(abi, 'multi', args);
    const theirs = erc20.encodeFunctionData('multi', [
      [
        [1, 2],
        [3, 4],
      ],
      [
        [18446744073709551615n, `0x${'ab'.repeat(32)}`],
        [7, `0x${'00'.repeat(32)}`],
      ],
      -32768,
      true,
      '0xdeadbeef',
      'héllo, world',
    ]);
    expect(ours).toEqual(hexToBytes(theirs));
  });

  it('encodes deployments as bytecode followed by the constructor arguments', () => {
    const bytecode = Uint8Array.of(0x60, 0x00, 0x60, 0x00);
    const data = encodeDeploy(abi, bytecode, parseCliArgs(abi, 'constructor', ['Weft', '0x10']));
    expect(data.subarray(0, 4)).toEqual(bytecode);
    expect(data.subarray(4)).toEqual(hexToBytes(erc20.encodeDeploy(['Weft', 16n])));
    expect(weftError(() => encodeDeploy(abi, new Uint8Array(0), [])).code).toBe('INVALID_ARGUMENT');
    expect(weftError(() => encodeDeploy(abi, bytecode, ['x'])).message).toContain(
      'constructor expects 2 arguments (string name, uint256 supply), got 1',
    );
  });

  it('decodes logs produced by ethers and rejects logs that do not fit', () => {
    const from = '0x00000000000000000000000000000000000000aa';
    const to = '0x00000000000000000000000000000000000000bb';
    const log = erc20.encodeEventLog('Transfer', [from, to, 5n]);
    const topics = log.topics.map((t) => hexToBytes(t));
    const data = hexToBytes(log.data);
    expect(decodeEventLog(abi, { topics, data })).toEqual({
      eventName: 'Transfer',
      args: { from: getAddress(from), to: getAddress(to), value: 5n },
    });
    const unknownTopic = [new Uint8Array(32).fill(1), ...topics.slice(1)];
    expect(weftError(() => decodeEventLog(abi, { topics: unknownTopic, data })).code).toBe('NOT_FOUND');
    expect(weftError(() => decodeEventLog(abi, { topics, data: data.subarray(0, 31) })).code).toBe(
      'INVALID_ENCODING',
    );
    expect(weftError(() => decodeEventLog(abi, { topics: [], data })).code).toBe('INVALID_ARGUMENT');
    expect(weftError(() => decodeEventLog(abi, { topics: [new Uint8Array(31)], data })).code).toBe(
      'INVALID_LENGTH',
    );
  });

  it('wraps bad return data and unknown functions in WeftErrors', () => {
    expect(weftError(() => decodeResult(abi, 'balanceOf', new Uint8Array(31))).code).toBe('INVALID_ARGUMENT');
    expect(weftError(() => encodeCall(abi, 'nope', [])).code).toBe('NOT_FOUND');
    expect(weftError(() => encodeCall(abi, 'transfer', [BOB_HEX, -1n])).code).toBe('INVALID_ARGUMENT');
  });
});

describe('decodeRevert on crafted data', () => {
  const errors = new Interface(['error Error(string)', 'error Panic(uint256)', 'error Custom(uint8 code)']);

  it('decodes Error(string) and Panic(uint256) with and without an ABI', () => {
    const data = hexToBytes(errors.encodeErrorResult('Error', ['not allowed']));
    expect(decodeRevert(data)).toEqual({ kind: 'error', message: 'not allowed' });
    expect(decodeRevert(data, abi)).toEqual({ kind: 'error', message: 'not allowed' });
    const panic = decodeRevert(hexToBytes(errors.encodeErrorResult('Panic', [0x99n])));
    expect(panic).toEqual({ kind: 'panic', code: 0x99n, message: 'panic 0x99: unknown panic code' });
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        const reason = decodeRevert(data);
        expect(typeof reason.message).toBe('string');
      }),
    );
    const truncated = hexToBytes(errors.encodeErrorResult('Error', ['cut short'])).subarray(0, 40);
    expect(decodeRevert(truncated).kind).toBe('unknown');
  });
});

describe('parseCliArgs', () => {
  const typed = (type: string, ...components: { name: string; type: string }[]): Abi => [
    {
      type: 'function',
      name: 'f',
      stateMutability: 'nonpayable',
      outputs: [],
      inputs: [components.length === 0 ? { name: 'v', type } : { name: 'v', type, components }],
    } as Abi[number],
  ];
  const one = (type: string, raw: string) => parseCliArgs(typed(type), 'f', [raw])[0];
  const fail = (type: string, raw: string) => weftError(() => one(type, raw));

  it('parses integers in decimal and hex, range-checked per width (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(8, 16, 64, 128, 256),
        fc.boolean(),
        fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
        (bits, signed, raw) => {
          const type = `${signed ? 'int' : 'uint'}${bits}`;
          const min = signed ? -(2n ** BigInt(bits - 1)) : 0n;
          const max = signed ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n;
          const value = signed ? raw - 2n ** 255n : raw;
          const hex = `${value < 0n ? '-' : ''}0x${(value < 0n ? -value : value).toString(16)}`;
          if (value >= min && value <= max) {
            expect(one(type, value.toString())).toBe(value);
            expect(one(type, hex)).toBe(value);
          } else {
            expect(fail(type, value.toString()).message).toContain(`out of range for ${type}`);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(one('uint8', '255')).toBe(255n);
    expect(one('int8', '-128')).toBe(-128n);
    expect(one('uint', '0X1f')).toBe(31n);
    expect(one('uint256', '007')).toBe(7n);
  });

  it('rejects malformed integers with the parameter named', () => {
    expect(fail('uint256', '1.5').message).toBe(
      'argument 1 (v: uint256): expected a decimal or 0x-hex integer, got "1.5"',
    );
    for (const bad of ['', '1e18', '0x', '--1', ' 1', '0xg1', 'one']) {
      expect(fail('uint256', bad).code).toBe('INVALID_ARGUMENT');
    }
    expect(fail('uint8', '256').message).toBe(
      'argument 1 (v: uint8): 256 is out of range for uint8 [0, 255]',
    );
    expect(fail('uint8', '-1').message).toContain('out of range');
    expect(fail('int8', '-129').message).toContain('out of range for int8 [-128, 127]');
    expect(fail('uint256[]', '[9007199254740993]').message).toContain('quote large numbers');
  });

  it('parses bools, addresses, bytes and strings strictly', () => {
    expect(one('bool', 'true')).toBe(true);
    expect(one('bool', 'false')).toBe(false);
    expect(fail('bool', 'yes').message).toBe('argument 1 (v: bool): expected true or false, got "yes"');
    expect(fail('bool', 'TRUE').code).toBe('INVALID_ARGUMENT');

    const checksummed = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'; // EIP-55 test vector
    expect(one('address', checksummed.toLowerCase())).toBe(checksummed);
    expect(one('address', checksummed)).toBe(checksummed);
    expect(fail('address', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD').message).toContain('EIP-55');
    expect(fail('address', '0x1234').message).toContain('expected a 0x-prefixed 20-byte hex address');
    expect(fail('address', checksummed.slice(2)).code).toBe('INVALID_ARGUMENT');

    expect(one('bytes', '0x')).toBe('0x');
    expect(one('bytes', '0xABcd')).toBe('0xabcd');
    expect(fail('bytes', '0xabc').message).toContain('expected 0x-prefixed hex bytes');
    expect(fail('bytes', 'abcd').code).toBe('INVALID_ARGUMENT');
    expect(one('bytes4', '0x01020304')).toBe('0x01020304');
    expect(fail('bytes32', '0x01').message).toBe('argument 1 (v: bytes32): expected exactly 32 bytes, got 1');

    expect(one('string', '')).toBe('');
    expect(one('string', '  spaced "quoted" 中文 ')).toBe('  spaced "quoted" 中文 ');
    expect(fail('fixed128x18', '1').code).toBe('UNSUPPORTED');
  });

  it('parses arrays and tuples from JSON with element-level errors', () => {
    expect(one('uint256[]', '["1","0x2",3]')).toEqual([1n, 2n, 3n]);
    expect(one('bool[2]', '[true,"false"]')).toEqual([true, false]);
    expect(one('uint8[2][]', '[[1,2],[3,4],[5,6]]')).toEqual([
      [1n, 2n],
      [3n, 4n],
      [5n, 6n],
    ]);
    expect(one('string[]', '[]')).toEqual([]);
    expect(fail('uint256[]', '1,2').message).toBe('argument 1 (v: uint256[]): expected JSON, got "1,2"');
    expect(fail('uint256[]', '{"a":1}').message).toContain('expected a JSON array');
    expect(fail('bool[2]', '[true]').message).toContain('expected exactly 2 elements, got 1');
    expect(fail('address[]', '["0x01"]').message).toContain('argument 1 (v: address[]) element [0]');
    expect(fail('uint8[2][]', '[[1,2],[3,256]]').message).toContain(
      'element [1] element [1]: 256 is out of range',
    );

    const tupleAbi = typed('tuple', { name: 'id', type: 'uint64' }, { name: 'who', type: 'address' });
    const who = '0x00000000000000000000000000000000000000aa';
    const expected = { id: 5n, who: getAddress(who) };
    expect(parseCliArgs(tupleAbi, 'f', [`{"id":5,"who":"${who.toLowerCase()}"}`])[0]).toEqual(expected);
    expect(parseCliArgs(tupleAbi, 'f', [`["5","${who.toLowerCase()}"]`])[0]).toEqual(expected);
    expect(weftError(() => parseCliArgs(tupleAbi, 'f', ['{"id":5}'])).message).toContain(
      'missing tuple field "who"',
    );
    expect(weftError(() => parseCliArgs(tupleAbi, 'f', ['{"id":5,"who":"0x","x":1}'])).message).toContain(
      'unknown tuple field "x"',
    );
    expect(weftError(() => parseCliArgs(tupleAbi, 'f', ['[5]'])).message).toContain(
      'expected 2 tuple fields',
    );
  });

  it('checks the argument count and resolves overloads by arity or signature', () => {
    expect(weftError(() => parseCliArgs(abi, 'transfer', [BOB_HEX])).message).toBe(
      'transfer expects 2 arguments (address to, uint256 value), got 1',
    );
    expect(parseCliArgs(abi, 'f', ['1', '2'])).toEqual([1n, 2n]);
    expect(weftError(() => parseCliArgs(abi, 'f', ['1'])).message).toContain(
      'f is overloaded; name it by signature: f(uint256), f(uint256,uint256), f(address)',
    );
    expect(parseCliArgs(abi, 'f(address)', [BOB_HEX])).toEqual([getAddress(BOB_HEX)]);
    expect(parseCliArgs(abi, 'f( uint256 )', ['9'])).toEqual([9n]);
    const byAddress = encodeCall(abi, 'f(address)', [BOB_HEX]);
    expect(byAddress).toEqual(hexToBytes(erc20.encodeFunctionData('f(address)', [BOB_HEX])));
    expect(weftError(() => parseCliArgs(abi, 'g', [])).code).toBe('NOT_FOUND');
    expect(weftError(() => parseCliArgs(abi, 'f(bytes)', [])).code).toBe('NOT_FOUND');
    // A contract without a constructor in its ABI takes no constructor arguments.
    expect(parseCliArgs([], 'constructor', [])).toEqual([]);
    expect(weftError(() => parseCliArgs([], 'constructor', ['1'])).message).toBe(
      'constructor expects 0 arguments (), got 1',
    );
  });
});

import { bytesToHex, concatBytes, hexToBytes } from '@weft/crypto/bytes';
import {
  decodeFunctionResult,
  encodeAbiParameters,
  encodeFunctionData,
  getContractAddress,
  parseAbi,
  toFunctionSelector,
} from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import { chargedGas, intrinsicGas } from '../src/execution/intrinsic-gas.js';
import { decodeRevertReason } from '../src/execution/revert-reason.js';
import type { ExecutableTransaction } from '../src/execution/types.js';
import { auditStateEntries } from '../src/state/audit.js';
import { address, CHAIN_ID, createHarness, type Harness, tx } from './fixtures/harness.js';
import { compileFixture } from './fixtures/solc.js';

const factoryAbi = parseAbi([
  'function predict(bytes32 salt, uint256 initial) view returns (address)',
  'function deploy(bytes32 salt, uint256 initial) returns (address)',
  'function deployAndDestroy(bytes32 salt, uint256 initial) returns (address)',
  'function deploySetAndDestroy(bytes32 salt, uint256 v) returns (address)',
  'function deployTwice(bytes32 salt)',
  'function deployEphemeral(bytes32 salt) returns (address)',
  'event Deployed(address child, bytes32 salt)',
]);
const childAbi = parseAbi(['function value() view returns (uint256)']);
const faultsAbi = parseAbi([
  'function divide(uint256 a, uint256 b) pure returns (uint256)',
  'function overflow(uint256 a) pure returns (uint256)',
  'function failAssert() pure',
  'function outOfBounds(uint256 i) view returns (uint256)',
  'function customError() view',
  'function bareRevert() pure',
  'function burn()',
  'function fill(uint256 n)',
  'function clear(uint256 n)',
  'function nested(uint256 v)',
  'function counter() view returns (uint256)',
  'function slots(uint256) view returns (uint256)',
  'function blockInfo() view returns (uint256 number, uint256 timestamp, address coinbase, uint256 chainId)',
]);

type Hex = `0x${string}`;
const hex = (b: Uint8Array) => bytesToHex(b) as Hex;
const salt = (n: number): Hex => encodeAbiParameters([{ type: 'uint256' }], [BigInt(n)]);

const alice = address(1);
const FACTORY_AT_GENESIS = address(0xf00);

describe('execution edge cases', () => {
  let h: Harness;
  let nonce = 0n;
  let factory: Uint8Array;
  let faults: Uint8Array;
  let block = 1n;
  const contracts = compileFixture('EdgeCases.sol');
  const childInitCode = (initial: bigint) =>
    concatBytes(contracts.Child!.bytecode, hexToBytes(encodeAbiParameters([{ type: 'uint256' }], [initial])));

  /** Runs txs from alice in one block, commits it, returns the block. */
  async function run(
    ...parts: { to?: Uint8Array | null; data?: Uint8Array; gasLimit?: bigint; value?: bigint }[]
  ) {
    const txs: ExecutableTransaction[] = parts.map((p) =>
      tx({
        sender: alice,
        kind: 'legacy',
        nonce: nonce++,
        to: p.to ?? null,
        data: p.data ?? new Uint8Array(0),
        value: p.value ?? 0n,
        ...(p.gasLimit ? { gasLimit: p.gasLimit } : {}),
      }),
    );
    const result = await h.executor.executeBlock(h.context(block++), txs, { mode: 'verify' });
    h.commit(result.diff);
    return result;
  }

  async function read<T>(to: Uint8Array, data: Hex, decode: (output: Hex) => T): Promise<T> {
    const result = await h.executor.call(h.context(block), { to, data: hexToBytes(data) });
    expect(result.status).toBe(1);
    return decode(hex(result.output));
  }

  const childValue = (child: Uint8Array) =>
    read(child, encodeFunctionData({ abi: childAbi, functionName: 'value' }), (o) =>
      decodeFunctionResult({ abi: childAbi, functionName: 'value', data: o }),
    );

  beforeAll(async () => {
    h = await createHarness('ecdsa');
    // The factory also sits at a fixed genesis address, and the CREATE2 address it would use for
    // salt 77 already holds storage (no code, nonce 0): EIP-7610 says that is a collision.
    const collide = getContractAddress({
      opcode: 'CREATE2',
      from: hex(FACTORY_AT_GENESIS),
      salt: salt(77),
      bytecode: hex(childInitCode(0n)),
    });
    const genesis = await h.executor.applyGenesis([
      { address: alice, balance: 10n ** 18n },
      { address: FACTORY_AT_GENESIS, balance: 0n, nonce: 1n, code: contracts.Factory!.deployedBytecode },
      { address: hexToBytes(collide), balance: 0n, storage: [[Uint8Array.of(0), Uint8Array.of(1)]] },
    ]);
    h.commit(genesis.diff);
    const deployed = await run({ data: contracts.Factory!.bytecode }, { data: contracts.Faults!.bytecode });
    expect(deployed.receipts.map((r) => r.status)).toEqual([1, 1]);
    factory = deployed.receipts[0]!.contractAddress!;
    faults = deployed.receipts[1]!.contractAddress!;
  });

  describe('intrinsic gas', () => {
    it('charges exactly 21000 for a value transfer, and creates the recipient', async () => {
      const bob = address(2);
      const result = await run({ to: bob, value: 5n });
      expect(result.receipts[0]!.gasUsed).toBe(21_000n);
      expect((await h.executor.getAccount(bob))?.balance).toBe(5n);
    });

    it('does not create an account for a zero-value transfer (EIP-161)', async () => {
      const nobody = address(3);
      const result = await run({ to: nobody });
      expect(result.receipts[0]!.gasUsed).toBe(21_000n);
      expect(await h.executor.getAccount(nobody)).toBeNull();
    });

    it('applies the EIP-7623 calldata floor and EIP-2930 access list costs', async () => {
      const data = concatBytes(new Uint8Array(10), new Uint8Array(10).fill(1));
      // 21000 + 10×4 + 10×16 = 21200 intrinsic, floor 21000 + 10×(10 + 4×10) = 21500.
      expect(intrinsicGas({ to: alice, data })).toEqual({
        intrinsic: 21_200n,
        floor: 21_500n,
        minimumGasLimit: 21_500n,
      });
      const result = await run({ to: address(4), data, value: 1n });
      expect(result.receipts[0]!.gasUsed).toBe(21_500n);
      const withList = intrinsicGas({
        to: alice,
        data: new Uint8Array(0),
        accessList: [[alice, [new Uint8Array(32), new Uint8Array(32)]]],
      });
      expect(withList.intrinsic).toBe(21_000n + 2_400n + 2n * 1_900n);
      // EIP-3860: 32000 for creation and 2 per initcode word.
      expect(intrinsicGas({ to: null, data: new Uint8Array(33).fill(1) }).intrinsic).toBe(
        21_000n + 33n * 16n + 32_000n + 2n * 2n,
      );
    });

    it('creates an empty contract for exactly 53000', async () => {
      const result = await run({ data: new Uint8Array(0), gasLimit: 53_000n });
      expect(result.receipts[0]!.status).toBe(1);
      expect(result.receipts[0]!.gasUsed).toBe(53_000n);
      const created = await h.executor.getAccount(result.receipts[0]!.contractAddress!);
      expect(created?.nonce).toBe(1n); // EIP-161: new contracts start at nonce 1
    });

    it('caps refunds at a fifth of the gas used (EIP-3529)', () => {
      expect(chargedGas(100_000n, 50_000n, 21_000n)).toBe(80_000n);
      expect(chargedGas(100_000n, 5_000n, 21_000n)).toBe(95_000n);
      expect(chargedGas(21_000n, 0n, 21_500n)).toBe(21_500n);
    });

    it('refunds cleared storage: the charged gas is less than the limit the transaction needs', async () => {
      await run({
        to: faults,
        data: hexToBytes(encodeFunctionData({ abi: faultsAbi, functionName: 'fill', args: [10n] })),
      });
      const clear = hexToBytes(encodeFunctionData({ abi: faultsAbi, functionName: 'clear', args: [10n] }));
      const ctx = h.context(block);
      const charged = (await h.executor.call(ctx, { from: alice, to: faults, data: clear })).gasUsed;
      // With a limit equal to the refunded charge the transaction cannot finish: the refund is paid back
      // only at the end, and it is capped at a fifth, so the charge is at least 80% of what ran.
      const starved = await h.executor.call(ctx, { from: alice, to: faults, data: clear, gas: charged });
      expect(starved.status).toBe(0);
      const needed = await h.executor.estimateGas(ctx, { from: alice, to: faults, data: clear });
      expect(needed).toBeGreaterThan(charged);
      const result = await run({ to: faults, data: clear });
      expect(result.receipts[0]!.gasUsed).toBe(charged);
      expect(charged * 100n).toBeGreaterThanOrEqual(needed * 78n);
    });
  });

  describe('failures', () => {
    const reasons: [string, Hex, string][] = [
      [
        'division by zero',
        encodeFunctionData({ abi: faultsAbi, functionName: 'divide', args: [1n, 0n] }),
        'panic 0x12: division or modulo by zero',
      ],
      [
        'overflow',
        encodeFunctionData({ abi: faultsAbi, functionName: 'overflow', args: [2n] }),
        'panic 0x11: arithmetic overflow or underflow',
      ],
      [
        'assert',
        encodeFunctionData({ abi: faultsAbi, functionName: 'failAssert' }),
        'panic 0x01: assertion failed',
      ],
      [
        'array bounds',
        encodeFunctionData({ abi: faultsAbi, functionName: 'outOfBounds', args: [3n] }),
        'panic 0x32: array index out of bounds',
      ],
      [
        'custom error',
        encodeFunctionData({ abi: faultsAbi, functionName: 'customError' }),
        `execution reverted (custom error ${toFunctionSelector('Unauthorized(address)')})`,
      ],
      [
        'bare revert',
        encodeFunctionData({ abi: faultsAbi, functionName: 'bareRevert' }),
        'execution reverted',
      ],
    ];
    for (const [name, data, reason] of reasons) {
      it(`reports ${name} as "${reason}"`, async () => {
        const result = await run({ to: faults, data: hexToBytes(data) });
        expect(result.receipts[0]!.status).toBe(0);
        expect(result.receipts[0]!.revertReason).toBe(reason);
        expect(result.receipts[0]!.gasUsed).toBeLessThan(100_000n);
      });
    }

    it('runs out of gas in an endless loop and charges the whole limit', async () => {
      const before = h.state.committedStateRoot;
      const result = await run({
        to: faults,
        data: hexToBytes(encodeFunctionData({ abi: faultsAbi, functionName: 'burn' })),
        gasLimit: 200_000n,
      });
      expect(result.receipts[0]!.status).toBe(0);
      expect(result.receipts[0]!.revertReason).toBe('out of gas');
      expect(result.receipts[0]!.gasUsed).toBe(200_000n);
      // Only the sender's nonce changed.
      expect(result.diff.changed).toEqual({ accounts: 1, slots: 0, codes: 0 });
      expect(result.stateRoot).not.toEqual(before);
    });

    it('keeps the outer call when an inner call reverts', async () => {
      await run({
        to: faults,
        data: hexToBytes(encodeFunctionData({ abi: faultsAbi, functionName: 'nested', args: [5n] })),
      });
      const counter = await read(
        faults,
        encodeFunctionData({ abi: faultsAbi, functionName: 'counter' }),
        (o) => decodeFunctionResult({ abi: faultsAbi, functionName: 'counter', data: o }),
      );
      expect(counter).toBe(5n);
      const slot = await read(
        faults,
        encodeFunctionData({ abi: faultsAbi, functionName: 'slots', args: [5n] }),
        (o) => decodeFunctionResult({ abi: faultsAbi, functionName: 'slots', data: o }),
      );
      expect(slot).toBe(5n);
    });

    it('decodes malformed revert data without throwing', () => {
      expect(decodeRevertReason(Uint8Array.of(0x08, 0xc3, 0x79, 0xa0, 1))).toBe(
        'execution reverted (custom error 0x08c379a0)',
      );
      expect(decodeRevertReason(new Uint8Array(2))).toBe('execution reverted');
    });
  });

  describe('CREATE2 and SELFDESTRUCT', () => {
    it('deploys at the CREATE2 address (EIP-1014) and logs it', async () => {
      const result = await run({
        to: factory,
        data: hexToBytes(
          encodeFunctionData({ abi: factoryAbi, functionName: 'deploy', args: [salt(1), 42n] }),
        ),
      });
      expect(result.receipts[0]!.status).toBe(1);
      const expected = getContractAddress({
        opcode: 'CREATE2',
        from: hex(factory),
        salt: salt(1),
        bytecode: hex(childInitCode(42n)),
      });
      const log = result.receipts[0]!.logs[0]!;
      expect(bytesToHex(log.data.subarray(12, 32))).toBe(expected.toLowerCase());
      expect(await childValue(hexToBytes(expected))).toBe(42n);
    });

    it('removes a contract that self-destructs in its constructor', async () => {
      const result = await run({
        to: factory,
        data: hexToBytes(
          encodeFunctionData({ abi: factoryAbi, functionName: 'deployEphemeral', args: [salt(2)] }),
        ),
      });
      expect(result.receipts[0]!.status).toBe(1);
      const ephemeral = hexToBytes(
        getContractAddress({
          opcode: 'CREATE2',
          from: hex(factory),
          salt: salt(2),
          bytecode: hex(
            concatBytes(
              contracts.Ephemeral!.bytecode,
              hexToBytes(encodeAbiParameters([{ type: 'address' }], [hex(alice)])),
            ),
          ),
        }),
      );
      expect(await h.executor.getAccount(ephemeral)).toBeNull();
      expect((await h.executor.getCode(ephemeral)).length).toBe(0);
    });

    it('re-creates a destroyed contract with fresh storage, in the same block and in the next', async () => {
      const encode = (functionName: 'deploy' | 'deploySetAndDestroy', n: number, v: bigint) =>
        hexToBytes(encodeFunctionData({ abi: factoryAbi, functionName, args: [salt(n), v] }));
      const childAt = (n: number) =>
        hexToBytes(
          getContractAddress({
            opcode: 'CREATE2',
            from: hex(factory),
            salt: salt(n),
            bytecode: hex(childInitCode(0n)),
          }),
        );
      // Same block: tx 1 creates the child, writes 55 into it and destroys it; tx 2 creates it again.
      const sameBlock = await run(
        { to: factory, data: encode('deploySetAndDestroy', 3, 55n) },
        { to: factory, data: encode('deploy', 3, 0n) },
      );
      expect(sameBlock.receipts.map((r) => r.status)).toEqual([1, 1]);
      expect(await childValue(childAt(3))).toBe(0n);
      // Across blocks.
      const destroyed = await run({ to: factory, data: encode('deploySetAndDestroy', 4, 55n) });
      expect(destroyed.receipts[0]!.status).toBe(1);
      expect(await h.executor.getAccount(childAt(4))).toBeNull();
      const reborn = await run({ to: factory, data: encode('deploy', 4, 0n) });
      expect(reborn.receipts[0]!.status).toBe(1);
      expect(await childValue(childAt(4))).toBe(0n);
      // And a destroyed child that had storage from its constructor leaves nothing behind.
      await run({
        to: factory,
        data: hexToBytes(
          encodeFunctionData({ abi: factoryAbi, functionName: 'deployAndDestroy', args: [salt(6), 9n] }),
        ),
      });
      const gone = hexToBytes(
        getContractAddress({
          opcode: 'CREATE2',
          from: hex(factory),
          salt: salt(6),
          bytecode: hex(childInitCode(9n)),
        }),
      );
      expect(await h.executor.getAccount(gone)).toBeNull();
      expect((await h.executor.getStorageAt(gone, new Uint8Array(32))).every((b) => b === 0)).toBe(true);
      const audit = auditStateEntries(
        h.suite,
        [...h.db.map].map(([k, v]) => [hexToBytes(k), v] as const),
      );
      expect(audit.problems).toEqual([]);
      expect(audit.stateRoot).toEqual(h.state.committedStateRoot);
    });

    it('fails a second CREATE2 to the same address within one transaction', async () => {
      const result = await run({
        to: factory,
        data: hexToBytes(
          encodeFunctionData({ abi: factoryAbi, functionName: 'deployTwice', args: [salt(5)] }),
        ),
      });
      expect(result.receipts[0]!.status).toBe(0);
    });

    it('treats an address that has storage as a CREATE2 collision (EIP-7610)', async () => {
      const data = (n: number) =>
        hexToBytes(encodeFunctionData({ abi: factoryAbi, functionName: 'deploy', args: [salt(n), 0n] }));
      const result = await run(
        { to: FACTORY_AT_GENESIS, data: data(77) },
        { to: FACTORY_AT_GENESIS, data: data(78) },
      );
      expect(result.receipts.map((r) => r.status)).toEqual([0, 1]);
    });
  });

  describe('block context, validity and views', () => {
    it('exposes number, timestamp, coinbase and chain id to contracts', async () => {
      const ctx = { ...h.context(77n), coinbase: address(0xc0) };
      const result = await h.executor.call(ctx, {
        to: faults,
        data: hexToBytes(encodeFunctionData({ abi: faultsAbi, functionName: 'blockInfo' })),
      });
      const [number, timestamp, coinbase, chainId] = decodeFunctionResult({
        abi: faultsAbi,
        functionName: 'blockInfo',
        data: hex(result.output),
      });
      expect([number, timestamp, coinbase.toLowerCase(), chainId]).toEqual([
        77n,
        ctx.timestamp,
        bytesToHex(address(0xc0)),
        CHAIN_ID,
      ]);
      await expect(h.executor.call({ ...ctx, chainId: 1n }, { to: faults })).rejects.toMatchObject({
        code: 'WRONG_CHAIN',
      });
    });

    it('rejects invalid transactions with distinct codes', async () => {
      const make = (fields: Partial<ExecutableTransaction>) =>
        tx({ sender: alice, kind: 'legacy', nonce, ...fields });
      const cases: [ExecutableTransaction, string][] = [
        [make({ to: address(5), value: 10n ** 30n }), 'INVALID_TRANSACTION'],
        // A native transaction skips the nonce comparison, so EIP-3607 is what rejects it.
        [make({ sender: factory, to: address(5), kind: 'weft' }), 'SENDER_NOT_ALLOWED'],
        [make({ to: address(5), gasLimit: 10n ** 12n }), 'GAS_LIMIT_EXCEEDED'],
        [make({ data: new Uint8Array(49_153), gasLimit: 29_000_000n }), 'TX_TOO_LARGE'],
        [make({ sender: new Uint8Array(19) }), 'INVALID_LENGTH'],
      ];
      const built = await h.executor.executeBlock(
        h.context(block),
        cases.map(([t]) => t),
        { mode: 'build' },
      );
      expect(built.included).toEqual([]);
      expect(built.invalid.map((i) => i.error.code)).toEqual(cases.map(([, code]) => code));
      expect(built.diff.changed).toEqual({ accounts: 0, slots: 0, codes: 0 });
    });

    it('answers calls from the committed state while a block executes', async () => {
      const counterCall = () =>
        h.executor.call(h.context(block), {
          to: faults,
          data: hexToBytes(encodeFunctionData({ abi: faultsAbi, functionName: 'counter' })),
        });
      const committed = (await counterCall()).output;
      const txs = Array.from({ length: 20 }, (_, i) =>
        tx({
          sender: alice,
          kind: 'legacy',
          nonce: nonce + BigInt(i),
          to: faults,
          data: hexToBytes(
            encodeFunctionData({ abi: faultsAbi, functionName: 'nested', args: [100n + BigInt(i)] }),
          ),
        }),
      );
      const executing = h.executor.executeBlock(h.context(block), txs, { mode: 'build' });
      const during = await Promise.all([counterCall(), counterCall(), counterCall()]);
      const executed = await executing;
      expect(executed.included).toHaveLength(20);
      for (const result of during) expect(result.output).toEqual(committed);
      // Not committed: still the old value afterwards.
      expect((await counterCall()).output).toEqual(committed);
    });

    it('fails a block on a storage error and recovers once the store answers again', async () => {
      const original = h.db.get.bind(h.db);
      // What a failing LevelDB does: reject with its own (non-weft) error.
      h.db.get = async () => {
        throw Object.assign(new Error('disk unplugged'), { code: 'EIO' });
      };
      const stranger = address(0x5eed);
      const transfer = tx({ sender: alice, kind: 'legacy', nonce, to: stranger, value: 1n });
      try {
        await expect(
          h.executor.executeBlock(h.context(block), [transfer], { mode: 'verify' }),
        ).rejects.toMatchObject({
          code: 'STORAGE_ERROR',
        });
      } finally {
        h.db.get = original;
      }
      const retried = await h.executor.executeBlock(h.context(block), [transfer], { mode: 'verify' });
      expect(retried.receipts[0]!.status).toBe(1);
    });

    it('gives the same receipts and a different root under the sm suite', async () => {
      const runOn = async (suite: 'ecdsa' | 'sm') => {
        const other = await createHarness(suite);
        other.commit((await other.executor.applyGenesis([{ address: alice, balance: 1n }])).diff);
        const deployed = await other.executor.executeBlock(
          other.context(1n),
          [tx({ sender: alice, kind: 'legacy', nonce: 0n, data: contracts.Faults!.bytecode })],
          { mode: 'build' },
        );
        return deployed;
      };
      const [e, s] = await Promise.all([runOn('ecdsa'), runOn('sm')]);
      expect(s.receipts).toEqual(e.receipts);
      expect(bytesToHex(s.stateRoot)).not.toBe(bytesToHex(e.stateRoot));
    });
  });
});

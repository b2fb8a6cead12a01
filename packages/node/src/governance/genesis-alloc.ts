import { keccak_256 } from '@noble/hashes/sha3.js';
import type { GenesisAccount, GenesisConfig, SystemSettings } from '@weft/core/genesis';
import { bigintToBytes, bytesToBigint, concatBytes, hexToBytes, utf8ToBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import {
  COMMITTEE,
  ISSUER_REGISTRY,
  NODE_REGISTRY,
  PERMISSIONS,
  SYSTEM_CONFIG,
} from './contracts.generated.js';

/**
 * The genesis state of the system contracts: their runtime code at fixed addresses and the storage their
 * constructors would have written, computed from the genesis file's committee, nodes and settings. Slots
 * follow Solidity's storage layout (https://docs.soliditylang.org/en/latest/internals/layout_in_storage.html):
 * value types in declaration order, a dynamic array's length at its slot and element i at
 * keccak256(slot) + i·(element size), a mapping's value for key k at keccak256(pad32(k) ‖ pad32(slot)),
 * `bytes`/`string` of ≤ 31 bytes in place (length·2 in the last byte), longer ones as length·2 + 1 with
 * the data from keccak256(slot) on. The slot numbers below are the ones commented in contracts/system/*.sol;
 * governance-genesis tests read every value back through the contracts' own views. The EVM hashes slots
 * with Keccak-256 on `sm` chains too.
 */

/** The settings SystemConfig holds, under the names of `SystemSettings` (as bytes32 keys). */
export const SETTING_KEYS = [
  'blockGasLimit',
  'txGasLimit',
  'maxTxsPerBlock',
  'sealIntervalMs',
  'blockLimitWindow',
  'maxTxBytes',
  'txPoolLimit',
] as const satisfies readonly (keyof SystemSettings)[];

export type SettingKey = (typeof SETTING_KEYS)[number];

export const SYSTEM_CONTRACT_LIST = [COMMITTEE, SYSTEM_CONFIG, NODE_REGISTRY, PERMISSIONS, ISSUER_REGISTRY];

/** NodeRegistry's role codes. */
export const ROLE_CODES = { none: 0, observer: 1, sealer: 2 } as const;

export function settingKeyToBytes32(key: string): Uint8Array {
  const bytes = utf8ToBytes(key);
  if (bytes.length > 32)
    throw new WeftError('INVALID_ARGUMENT', `setting name '${key.slice(0, 40)}' is too long`);
  const out = new Uint8Array(32);
  out.set(bytes);
  return out;
}

type Slots = Map<bigint, bigint>;

const word = (n: bigint) => bigintToBytes(n, 32);
const hashSlot = (...parts: Uint8Array[]) => bytesToBigint(keccak_256(concatBytes(...parts)));
const arrayBase = (slot: bigint) => hashSlot(word(slot));
const mappingSlot = (key: Uint8Array, slot: bigint) => {
  const padded = new Uint8Array(32);
  // Value-type keys are left-padded (addresses, integers); bytes32 keys are already 32 bytes.
  padded.set(key, 32 - key.length);
  return hashSlot(padded, word(slot));
};

function put(slots: Slots, slot: bigint, value: bigint): void {
  if (value !== 0n) slots.set(slot, value);
}

function putBytes(slots: Slots, slot: bigint, data: Uint8Array): void {
  if (data.length <= 31) {
    const packed = new Uint8Array(32);
    packed.set(data);
    packed[31] = data.length * 2;
    put(slots, slot, bytesToBigint(packed));
    return;
  }
  put(slots, slot, BigInt(data.length * 2 + 1));
  const base = arrayBase(slot);
  for (let i = 0; i * 32 < data.length; i++) {
    const chunk = new Uint8Array(32);
    chunk.set(data.subarray(i * 32, i * 32 + 32));
    put(slots, base + BigInt(i), bytesToBigint(chunk));
  }
}

function account(address: string, slots: Slots, code: string): GenesisAccount {
  return {
    address: hexToBytes(address),
    balance: 0n,
    // What CREATE would leave (EIP-161: contracts start at nonce 1).
    nonce: 1n,
    code: hexToBytes(code),
    storage: [...slots].map(([slot, value]) => [word(slot), word(value)] as [Uint8Array, Uint8Array]),
  };
}

export function isSystemContractAddress(address: Uint8Array): boolean {
  if (address.length !== 20) return false;
  for (let i = 0; i < 18; i++) if (address[i] !== 0) return false;
  const low = ((address[18] as number) << 8) | (address[19] as number);
  return low >= 0x1000 && low <= 0x1004;
}

/**
 * The accounts to add to a governed genesis's alloc; empty for an ungoverned one (no `committee`).
 * Throws CONFIG_ERROR if the genesis alloc already uses a system address.
 */
export function systemContractAlloc(genesis: GenesisConfig): GenesisAccount[] {
  const committee = genesis.committee;
  if (committee === undefined) return [];
  for (const a of genesis.alloc) {
    if (isSystemContractAddress(a.address)) {
      throw new WeftError(
        'CONFIG_ERROR',
        'genesis: alloc must not use the system contract addresses 0x…1000–0x…1004',
      );
    }
  }

  // Committee: 0 participationRate, 1 approvalRate, 2 votingPeriod, 3 totalWeight, 4 memberList, 5 weightOf.
  const committeeSlots: Slots = new Map();
  put(committeeSlots, 0n, BigInt(committee.participationRate));
  put(committeeSlots, 1n, BigInt(committee.approvalRate));
  put(committeeSlots, 2n, BigInt(committee.votingPeriod));
  put(committeeSlots, 3n, BigInt(committee.members.reduce((n, m) => n + m.weight, 0)));
  put(committeeSlots, 4n, BigInt(committee.members.length));
  committee.members.forEach((m, i) => {
    put(committeeSlots, arrayBase(4n) + BigInt(i), bytesToBigint(m.address));
    put(committeeSlots, mappingSlot(m.address, 5n), BigInt(m.weight));
  });

  // SystemConfig: 0 keyList, 1 entries (struct Entry { value; since; previous; exists }).
  const configSlots: Slots = new Map();
  put(configSlots, 0n, BigInt(SETTING_KEYS.length));
  SETTING_KEYS.forEach((key, i) => {
    const k = settingKeyToBytes32(key);
    const value = BigInt(genesis.settings[key]);
    put(configSlots, arrayBase(0n) + BigInt(i), bytesToBigint(k));
    const entry = mappingSlot(k, 1n);
    put(configSlots, entry, value);
    put(configSlots, entry + 2n, value);
    put(configSlots, entry + 3n, 1n);
  });

  // NodeRegistry: 0 changes (struct Change { bytes nodeId; string org; role; height }), 1 currentRole,
  // 2 sealerCount.
  const nodeSlots: Slots = new Map();
  put(nodeSlots, 0n, BigInt(genesis.nodes.length));
  genesis.nodes.forEach((n, i) => {
    const element = arrayBase(0n) + BigInt(i) * 4n;
    putBytes(nodeSlots, element, n.nodeId);
    putBytes(nodeSlots, element + 1n, utf8ToBytes(n.org));
    put(nodeSlots, element + 2n, BigInt(ROLE_CODES[n.role]));
    put(nodeSlots, mappingSlot(keccak_256(n.nodeId), 1n), BigInt(ROLE_CODES[n.role]));
  });
  put(nodeSlots, 2n, BigInt(genesis.nodes.filter((n) => n.role === 'sealer').length));

  return [
    account(COMMITTEE.address, committeeSlots, COMMITTEE.runtimeBytecode),
    account(SYSTEM_CONFIG.address, configSlots, SYSTEM_CONFIG.runtimeBytecode),
    account(NODE_REGISTRY.address, nodeSlots, NODE_REGISTRY.runtimeBytecode),
    account(PERMISSIONS.address, new Map(), PERMISSIONS.runtimeBytecode),
    account(ISSUER_REGISTRY.address, new Map(), ISSUER_REGISTRY.runtimeBytecode),
  ];
}

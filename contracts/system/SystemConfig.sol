// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import "./SystemAddresses.sol";

/// @title Chain settings the committee can change (FISCO BCOS's `setSystemConfigByKey`).
/// @notice Keys are the names of the node's settings (`bytes32("maxTxsPerBlock")`), values unsigned
/// integers. A change made in block N takes effect from block N + 1 on every node: each entry keeps the
/// height it applies from and the value before it, so a node can answer for both. The ranges match
/// packages/core/src/genesis.ts `parseSettings`, so a proposal can never set what a genesis file could
/// not. Storage slots 0-1 are written by the genesis: append only.
contract SystemConfig {
    struct Entry {
        uint256 value;
        /// First block number the value applies to.
        uint256 since;
        /// The value before `since`.
        uint256 previous;
        bool exists;
    }

    bytes32[] internal keyList; // slot 0
    mapping(bytes32 => Entry) internal entries; // slot 1

    event SettingChanged(bytes32 indexed key, uint256 oldValue, uint256 newValue, uint256 effectiveFrom);

    function set(bytes32 key, uint256 value) external {
        require(msg.sender == SystemAddresses.COMMITTEE, "SystemConfig: only a passed proposal may do this");
        Entry storage e = entries[key];
        require(e.exists, "SystemConfig: unknown setting");
        _checkRange(key, value);
        uint256 old = e.value;
        // Two changes passed in one block: the later wins, and the value before the block stays history.
        if (block.number >= e.since) e.previous = e.value;
        e.value = value;
        e.since = block.number + 1;
        emit SettingChanged(key, old, value, block.number + 1);
    }

    function _checkRange(bytes32 key, uint256 value) internal view {
        if (key == "blockGasLimit") {
            require(value <= type(uint64).max >> 1, "SystemConfig: blockGasLimit above 2^63-1");
            require(value >= entries["txGasLimit"].value, "SystemConfig: blockGasLimit below txGasLimit");
        } else if (key == "txGasLimit") {
            require(value >= 21000, "SystemConfig: txGasLimit below 21000");
            require(value <= entries["blockGasLimit"].value, "SystemConfig: txGasLimit above blockGasLimit");
        } else if (key == "maxTxsPerBlock") {
            require(value >= 1 && value <= 100_000, "SystemConfig: maxTxsPerBlock must be 1-100000");
        } else if (key == "sealIntervalMs") {
            require(value >= 1 && value <= 60_000, "SystemConfig: sealIntervalMs must be 1-60000");
        } else if (key == "blockLimitWindow") {
            require(value >= 1 && value <= 100_000, "SystemConfig: blockLimitWindow must be 1-100000");
        } else if (key == "maxTxBytes") {
            require(value >= 1024 && value <= 16 * 1024 * 1024, "SystemConfig: maxTxBytes must be 1024-16777216");
        } else if (key == "txPoolLimit") {
            require(value >= 1 && value <= 10_000_000, "SystemConfig: txPoolLimit must be 1-10000000");
        }
    }

    /// The value that applies in block `height` (valid for heights from the previous change on).
    function valueAt(bytes32 key, uint256 height) external view returns (uint256) {
        Entry storage e = entries[key];
        require(e.exists, "SystemConfig: unknown setting");
        return height >= e.since ? e.value : e.previous;
    }

    /// The latest value (which may apply only from the next block).
    function get(bytes32 key) external view returns (uint256 value, uint256 since) {
        Entry storage e = entries[key];
        require(e.exists, "SystemConfig: unknown setting");
        return (e.value, e.since);
    }

    function all()
        external
        view
        returns (bytes32[] memory keys, uint256[] memory values, uint256[] memory since, uint256[] memory previous)
    {
        keys = keyList;
        values = new uint256[](keys.length);
        since = new uint256[](keys.length);
        previous = new uint256[](keys.length);
        for (uint256 i = 0; i < keys.length; i++) {
            Entry storage e = entries[keys[i]];
            values[i] = e.value;
            since[i] = e.since;
            previous[i] = e.previous;
        }
    }
}

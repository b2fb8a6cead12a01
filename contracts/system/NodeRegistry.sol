// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import "./SystemAddresses.sol";

/// @title Consensus membership: which nodes seal, which observe, from which height.
/// @notice An append-only list of role changes, each effective from the block after the one that made
/// it. The genesis writes one change per genesis node at height 0. Replaying the changes up to a height
/// gives the sealers and observers of that height — for any height, so a node syncing old blocks can
/// check their commit certificates against the sealers of their time. Storage slots 0-2 are written by
/// the genesis: append only.
contract NodeRegistry {
    uint8 internal constant NONE = 0;
    uint8 internal constant OBSERVER = 1;
    uint8 internal constant SEALER = 2;

    struct Change {
        bytes nodeId;
        string org;
        uint256 role;
        uint256 height;
    }

    Change[] internal changes; // slot 0
    mapping(bytes32 => uint256) internal currentRole; // slot 1, keyed by keccak256(nodeId)
    uint256 public sealerCount; // slot 2

    event NodeRoleChanged(
        bytes32 indexed nodeKey,
        bytes nodeId,
        string org,
        uint256 oldRole,
        uint256 newRole,
        uint256 effectiveFrom
    );

    /// Adds a node as observer (1) or sealer (2), promotes, demotes, or removes it (0).
    function setRole(bytes calldata nodeId, string calldata org, uint8 role) external {
        require(msg.sender == SystemAddresses.COMMITTEE, "NodeRegistry: only a passed proposal may do this");
        require(nodeId.length == 64, "NodeRegistry: a node id is a 64-byte public key");
        require(role <= SEALER, "NodeRegistry: role must be 0 (remove), 1 (observer) or 2 (sealer)");
        require(bytes(org).length <= 64, "NodeRegistry: org name longer than 64 bytes");
        bytes32 key = keccak256(nodeId);
        uint256 old = currentRole[key];
        require(old != role, "NodeRegistry: the node already has this role");
        if (old == SEALER) sealerCount -= 1;
        if (role == SEALER) sealerCount += 1;
        require(sealerCount >= 1, "NodeRegistry: the chain needs at least one sealer");
        currentRole[key] = role;
        string memory name = bytes(org).length > 0 ? org : _lastOrg(key);
        changes.push(Change(nodeId, name, role, block.number + 1));
        emit NodeRoleChanged(key, nodeId, name, old, role, block.number + 1);
    }

    function _lastOrg(bytes32 key) internal view returns (string memory) {
        for (uint256 i = changes.length; i > 0; i--) {
            if (keccak256(changes[i - 1].nodeId) == key) return changes[i - 1].org;
        }
        return "";
    }

    /// The role a node has now (possibly only from the next block).
    function roleOf(bytes calldata nodeId) external view returns (uint256) {
        return currentRole[keccak256(nodeId)];
    }

    /// The role a node has in block `height`.
    function roleAt(bytes calldata nodeId, uint256 height) external view returns (uint256 role) {
        bytes32 key = keccak256(nodeId);
        for (uint256 i = 0; i < changes.length && changes[i].height <= height; i++) {
            if (keccak256(changes[i].nodeId) == key) role = changes[i].role;
        }
    }

    function changeCount() external view returns (uint256) {
        return changes.length;
    }

    function getChanges() external view returns (Change[] memory) {
        return changes;
    }
}

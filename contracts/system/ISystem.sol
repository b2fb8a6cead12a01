// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Read-only interfaces of weft's system contracts, for Solidity contracts that consult governance.
/// @notice Addresses: SystemAddresses.sol. Example: an identity contract that honours only recognised
/// issuers calls `IIssuerRegistry(0x0000000000000000000000000000000000001004).isIssuer(msg.sender)`.
interface ICommittee {
    function isMember(address account) external view returns (bool);
    function weightOf(address account) external view returns (uint256);
    function totalWeight() external view returns (uint256);
    function proposalCount() external view returns (uint256);
    function statusOf(uint256 id) external view returns (uint8);
    function propose(address target, bytes calldata data, string calldata description, uint256 period)
        external
        returns (uint256 id);
    function vote(uint256 id, bool support) external;
    function revoke(uint256 id) external;
}

interface ISystemConfig {
    function valueAt(bytes32 key, uint256 height) external view returns (uint256);
    function get(bytes32 key) external view returns (uint256 value, uint256 since);
}

interface INodeRegistry {
    function roleOf(bytes calldata nodeId) external view returns (uint256);
    function roleAt(bytes calldata nodeId, uint256 height) external view returns (uint256);
    function sealerCount() external view returns (uint256);
}

interface IPermissions {
    function deployMode() external view returns (uint256);
    function isAccountFrozen(address account) external view returns (bool);
    function isContractFrozen(address target) external view returns (bool);
    function canDeploy(address account) external view returns (bool);
    function callAllowed(address from, address target, bytes4 selector) external view returns (bool);
    function adminOf(address target) external view returns (address);
}

interface IIssuerRegistry {
    function isIssuer(address account) external view returns (bool);
}

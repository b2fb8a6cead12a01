// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Fixed addresses of weft's governance system contracts.
/// @notice The genesis block places the contracts' runtime code here (docs/governance.md). They sit
/// far above the EVM precompiles (0x01-0x11, 0x100) so no hard fork can collide with them.
library SystemAddresses {
    address internal constant COMMITTEE = 0x0000000000000000000000000000000000001000;
    address internal constant SYSTEM_CONFIG = 0x0000000000000000000000000000000000001001;
    address internal constant NODE_REGISTRY = 0x0000000000000000000000000000000000001002;
    address internal constant PERMISSIONS = 0x0000000000000000000000000000000000001003;
    address internal constant ISSUER_REGISTRY = 0x0000000000000000000000000000000000001004;

    function isSystemContract(address account) internal pure returns (bool) {
        return uint160(account) >= uint160(COMMITTEE) && uint160(account) <= uint160(ISSUER_REGISTRY);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import "./SystemAddresses.sol";

/// @title Who may deploy, who is frozen, and who may call which method of a contract.
/// @notice The node reads this contract at every block boundary and refuses, at its pool and in every
/// block it builds or checks, a transaction that (1) comes from a frozen account, (2) calls a frozen
/// contract, (3) deploys a contract while deployment is restricted to a list the sender is not on, or
/// (4) calls a method whose contract admin restricted it (FISCO BCOS 3.x's contract-level access
/// control: an allow list or a deny list per method). The checks apply to a transaction's own sender
/// and recipient (its top-level call), not to calls contracts make to each other.
///
/// The committee changes (1)-(3) through proposals. A contract's admin is whoever created it, proven
/// by the CREATE rule (Yellow Paper §7: the address is keccak256(rlp([sender, nonce]))[12:]), or whoever
/// the committee or the previous admin names; the admin sets (4). No genesis storage.
contract Permissions {
    uint256 internal constant OPEN = 0;
    uint256 internal constant ALLOW_LIST = 1;
    uint256 internal constant DENY_LIST = 2;

    struct Rule {
        address target;
        bytes4 selector;
        uint256 mode;
    }

    struct Access {
        address target;
        bytes4 selector;
        address account;
    }

    /// 0: anyone may deploy; 1: only the listed deployers.
    uint256 public deployMode; // slot 0
    address[] internal deployerList; // slot 1
    mapping(address => uint256) internal deployerIndex; // slot 2 (position + 1)
    address[] internal frozenAccountList; // slot 3
    mapping(address => uint256) internal frozenAccountIndex; // slot 4
    address[] internal frozenContractList; // slot 5
    mapping(address => uint256) internal frozenContractIndex; // slot 6
    mapping(address => address) public adminOf; // slot 7
    Rule[] internal ruleList; // slot 8
    mapping(bytes32 => uint256) internal ruleIndex; // slot 9
    Access[] internal accessList; // slot 10
    mapping(bytes32 => uint256) internal accessIndex; // slot 11

    event DeployModeChanged(uint256 mode);
    event DeployerChanged(address indexed account, bool allowed);
    event AccountFrozen(address indexed account, bool frozen);
    event ContractFrozen(address indexed target, bool frozen);
    event AdminChanged(address indexed target, address indexed oldAdmin, address indexed newAdmin);
    event MethodModeChanged(address indexed target, bytes4 indexed selector, uint256 mode);
    event MethodAccessChanged(address indexed target, bytes4 indexed selector, address indexed account, bool listed);

    modifier onlyCommittee() {
        require(msg.sender == SystemAddresses.COMMITTEE, "Permissions: only a passed proposal may do this");
        _;
    }

    modifier onlyAdmin(address target) {
        require(adminOf[target] == msg.sender && msg.sender != address(0), "Permissions: not the contract's admin");
        _;
    }

    // ------------------------------------------------------------------ committee actions

    function setDeployMode(uint256 mode) external onlyCommittee {
        require(mode <= ALLOW_LIST, "Permissions: deploy mode must be 0 (open) or 1 (allow list)");
        require(mode != deployMode, "Permissions: deploy mode unchanged");
        deployMode = mode;
        emit DeployModeChanged(mode);
    }

    function setDeployer(address account, bool allowed) external onlyCommittee {
        require(_setMember(deployerList, deployerIndex, account, allowed), "Permissions: deployer unchanged");
        emit DeployerChanged(account, allowed);
    }

    function setAccountFrozen(address account, bool frozen) external onlyCommittee {
        require(!SystemAddresses.isSystemContract(account), "Permissions: system contracts cannot be frozen");
        require(_setMember(frozenAccountList, frozenAccountIndex, account, frozen), "Permissions: account unchanged");
        emit AccountFrozen(account, frozen);
    }

    function setContractFrozen(address target, bool frozen) external onlyCommittee {
        require(!SystemAddresses.isSystemContract(target), "Permissions: system contracts cannot be frozen");
        require(!frozen || target.code.length > 0, "Permissions: no contract at this address");
        require(_setMember(frozenContractList, frozenContractIndex, target, frozen), "Permissions: contract unchanged");
        emit ContractFrozen(target, frozen);
    }

    // ------------------------------------------------------------------ contract admins

    /// The creator of `target` becomes its admin by naming the account nonce it was created with.
    function claimAdmin(address target, uint256 nonce) external {
        require(adminOf[target] == address(0), "Permissions: the contract already has an admin");
        require(target.code.length > 0, "Permissions: no contract at this address");
        require(createAddress(msg.sender, nonce) == target, "Permissions: the sender did not create this contract");
        adminOf[target] = msg.sender;
        emit AdminChanged(target, address(0), msg.sender);
    }

    /// The admin hands over (or gives up, with the zero address); the committee may always reassign.
    function setAdmin(address target, address admin) external {
        address old = adminOf[target];
        require(
            msg.sender == SystemAddresses.COMMITTEE || (old == msg.sender && old != address(0)),
            "Permissions: not the contract's admin"
        );
        require(!SystemAddresses.isSystemContract(target), "Permissions: system contracts have no admin");
        adminOf[target] = admin;
        emit AdminChanged(target, old, admin);
    }

    /// `mode` 0 lifts the restriction, 1 admits only listed accounts, 2 refuses listed accounts.
    /// `selector` 0x00000000 stands for calls with fewer than 4 bytes of data (plain transfers).
    function setMethodMode(address target, bytes4 selector, uint256 mode) external onlyAdmin(target) {
        require(mode <= DENY_LIST, "Permissions: mode must be 0 (open), 1 (allow list) or 2 (deny list)");
        bytes32 key = keccak256(abi.encode(target, selector));
        uint256 position = ruleIndex[key];
        if (mode == OPEN) {
            require(position != 0, "Permissions: method is not restricted");
            Rule memory last = ruleList[ruleList.length - 1];
            ruleList[position - 1] = last;
            ruleIndex[keccak256(abi.encode(last.target, last.selector))] = position;
            ruleList.pop();
            delete ruleIndex[key];
        } else if (position == 0) {
            ruleList.push(Rule(target, selector, mode));
            ruleIndex[key] = ruleList.length;
        } else {
            ruleList[position - 1].mode = mode;
        }
        emit MethodModeChanged(target, selector, mode);
    }

    function setMethodAccess(address target, bytes4 selector, address account, bool listed) external onlyAdmin(target) {
        bytes32 key = keccak256(abi.encode(target, selector, account));
        uint256 position = accessIndex[key];
        if (listed) {
            require(position == 0, "Permissions: account already listed");
            accessList.push(Access(target, selector, account));
            accessIndex[key] = accessList.length;
        } else {
            require(position != 0, "Permissions: account not listed");
            Access memory last = accessList[accessList.length - 1];
            accessList[position - 1] = last;
            accessIndex[keccak256(abi.encode(last.target, last.selector, last.account))] = position;
            accessList.pop();
            delete accessIndex[key];
        }
        emit MethodAccessChanged(target, selector, account, listed);
    }

    // ------------------------------------------------------------------ views

    function isAccountFrozen(address account) external view returns (bool) {
        return frozenAccountIndex[account] != 0;
    }

    function isContractFrozen(address target) external view returns (bool) {
        return frozenContractIndex[target] != 0;
    }

    function canDeploy(address account) external view returns (bool) {
        return deployMode == OPEN || deployerIndex[account] != 0;
    }

    function callAllowed(address from, address target, bytes4 selector) external view returns (bool) {
        uint256 position = ruleIndex[keccak256(abi.encode(target, selector))];
        if (position == 0) return true;
        bool listed = accessIndex[keccak256(abi.encode(target, selector, from))] != 0;
        return ruleList[position - 1].mode == ALLOW_LIST ? listed : !listed;
    }

    function deployers() external view returns (address[] memory) {
        return deployerList;
    }

    function frozenAccounts() external view returns (address[] memory) {
        return frozenAccountList;
    }

    function frozenContracts() external view returns (address[] memory) {
        return frozenContractList;
    }

    function rules() external view returns (Rule[] memory) {
        return ruleList;
    }

    function accessEntries() external view returns (Access[] memory) {
        return accessList;
    }

    /// The CREATE address of `deployer` at account nonce `nonce` (RLP of [address, nonce], Yellow Paper
    /// Appendix B: a nonce below 0x80 is its own byte, 0 is the empty string 0x80, larger ones carry a
    /// 0x80+length prefix).
    function createAddress(address deployer, uint256 nonce) public pure returns (address) {
        require(nonce < 2 ** 64 - 1, "Permissions: nonce out of range");
        bytes memory encodedNonce;
        if (nonce == 0) {
            encodedNonce = hex"80";
        } else if (nonce < 0x80) {
            encodedNonce = abi.encodePacked(uint8(nonce));
        } else {
            uint256 length = 0;
            for (uint256 n = nonce; n > 0; n >>= 8) length++;
            encodedNonce = new bytes(length + 1);
            encodedNonce[0] = bytes1(uint8(0x80 + length));
            for (uint256 i = 0; i < length; i++) {
                encodedNonce[length - i] = bytes1(uint8(nonce >> (8 * i)));
            }
        }
        bytes memory payload = abi.encodePacked(hex"94", deployer, encodedNonce);
        bytes memory list = abi.encodePacked(bytes1(uint8(0xc0 + payload.length)), payload);
        return address(uint160(uint256(keccak256(list))));
    }

    /// Adds (`present`) or removes an address of an enumerable set; false when nothing changed.
    function _setMember(address[] storage list, mapping(address => uint256) storage index, address account, bool present)
        internal
        returns (bool)
    {
        uint256 position = index[account];
        if (present) {
            if (position != 0) return false;
            list.push(account);
            index[account] = list.length;
        } else {
            if (position == 0) return false;
            address last = list[list.length - 1];
            list[position - 1] = last;
            index[last] = position;
            list.pop();
            delete index[account];
        }
        return true;
    }
}

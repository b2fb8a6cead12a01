// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import "./SystemAddresses.sol";

/// @title Authority issuers the committee recognises (WeIdentity's authority-issuer registry).
/// @notice The identity features read `isIssuer` to decide whose credentials carry authority. Only the
/// committee recognises or revokes; revocation keeps nothing but the event in the audit trail.
contract IssuerRegistry {
    struct Issuer {
        address account;
        string name;
        uint256 since;
    }

    Issuer[] internal issuerList; // slot 0
    mapping(address => uint256) internal issuerIndex; // slot 1 (position + 1)

    event IssuerRecognised(address indexed account, string name);
    event IssuerRevoked(address indexed account);

    modifier onlyCommittee() {
        require(msg.sender == SystemAddresses.COMMITTEE, "IssuerRegistry: only a passed proposal may do this");
        _;
    }

    function recognise(address account, string calldata name) external onlyCommittee {
        require(account != address(0), "IssuerRegistry: zero address");
        require(bytes(name).length >= 1 && bytes(name).length <= 128, "IssuerRegistry: name must be 1-128 bytes");
        require(issuerIndex[account] == 0, "IssuerRegistry: already recognised");
        issuerList.push(Issuer(account, name, block.number));
        issuerIndex[account] = issuerList.length;
        emit IssuerRecognised(account, name);
    }

    function revoke(address account) external onlyCommittee {
        uint256 position = issuerIndex[account];
        require(position != 0, "IssuerRegistry: not a recognised issuer");
        Issuer memory last = issuerList[issuerList.length - 1];
        issuerList[position - 1] = last;
        issuerIndex[last.account] = position;
        issuerList.pop();
        delete issuerIndex[account];
        emit IssuerRevoked(account);
    }

    function isIssuer(address account) external view returns (bool) {
        return issuerIndex[account] != 0;
    }

    function issuers() external view returns (Issuer[] memory) {
        return issuerList;
    }
}

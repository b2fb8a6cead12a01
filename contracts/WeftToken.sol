// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title WeftToken — the plain ERC-20 used by weft's tests, benchmarks and README examples.
/// @notice Implements EIP-20 (https://eips.ethereum.org/EIPS/eip-20) with no imports, no owner and
///         no minting after deployment, so that its gas cost is the textbook ERC-20 cost.
/// @dev Deployment: `constructor(name, symbol, initialSupply)` mints `initialSupply` base units
///      (18 decimals) to the deployer. Reverts carry plain `Error(string)` reasons so that every
///      client can show them without the ABI.
contract WeftToken {
    string public name;
    string public symbol;
    uint8 public constant decimals = 18;
    uint256 public totalSupply;

    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    /// EIP-20: MUST trigger when tokens are transferred, including zero value transfers; a token
    /// contract which creates new tokens SHOULD trigger it with `from` set to 0x0.
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// EIP-20: MUST trigger on any successful call to `approve`.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_, uint256 initialSupply) {
        name = name_;
        symbol = symbol_;
        totalSupply = initialSupply;
        balanceOf[msg.sender] = initialSupply;
        emit Transfer(address(0), msg.sender, initialSupply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        require(spender != address(0), "approve to the zero address");
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        // An allowance of 2^256-1 is treated as unlimited and never decremented (as OpenZeppelin
        // does), which saves a storage write per transfer for exchange-style spenders.
        if (allowed != type(uint256).max) {
            require(allowed >= value, "insufficient allowance");
            unchecked {
                allowance[from][msg.sender] = allowed - value;
            }
        }
        _transfer(from, to, value);
        return true;
    }

    function _transfer(address from, address to, uint256 value) private {
        require(to != address(0), "transfer to the zero address");
        uint256 fromBalance = balanceOf[from];
        require(fromBalance >= value, "insufficient balance");
        unchecked {
            // Cannot underflow (checked above) and cannot overflow: the sum of all balances is
            // totalSupply, which fits in a uint256.
            balanceOf[from] = fromBalance - value;
            balanceOf[to] += value;
        }
        emit Transfer(from, to, value);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import "./SystemAddresses.sol";

/// @title The governance committee: member organisations with weights, proposals and votes.
/// @notice Modelled on FISCO BCOS 3.x's committee (governors with weights, a participation rate and a
/// win rate) and CCF's constitution (proposals are actions that run only once the members' votes pass
/// them). A proposal is a call (`target`, `data`) into one of the system contracts; it runs inside the
/// transaction that casts the deciding vote, so its effect is part of that block on every node and the
/// node applies it from the next block on.
///
/// Storage slots 0-5 are written by the genesis (packages/node/src/governance/genesis-alloc.ts):
/// append new state variables after them, never reorder.
contract Committee {
    uint8 internal constant OPEN = 1;
    uint8 internal constant EXECUTED = 2;
    /// Passed, but the action reverted: nothing changed.
    uint8 internal constant FAILED = 3;
    uint8 internal constant REJECTED = 4;
    uint8 internal constant REVOKED = 5;
    /// Never stored: an open proposal whose deadline has passed reads as expired.
    uint8 internal constant EXPIRED = 6;

    uint256 internal constant MAX_VOTING_PERIOD = 10_000_000;
    uint256 internal constant MAX_WEIGHT = 1_000_000;
    uint256 internal constant MAX_MEMBERS = 256;

    struct Proposal {
        address proposer;
        address target;
        uint64 createdAt;
        uint64 deadline;
        uint64 closedAt;
        uint8 status;
        uint256 forWeight;
        uint256 againstWeight;
        bytes data;
        string description;
    }

    struct Vote {
        address voter;
        bool support;
        uint64 blockNumber;
        uint256 weight;
    }

    /// Percent of the total weight that must have voted (for or against) before a proposal can pass.
    uint256 public participationRate; // slot 0
    /// Percent of the voted weight that must be for a proposal.
    uint256 public approvalRate; // slot 1
    /// Blocks a proposal stays open when its proposer names no period.
    uint256 public votingPeriod; // slot 2
    uint256 public totalWeight; // slot 3
    address[] internal memberList; // slot 4
    mapping(address => uint256) public weightOf; // slot 5
    Proposal[] internal proposals; // slot 6
    mapping(uint256 => Vote[]) internal votesOf; // slot 7
    mapping(uint256 => mapping(address => bool)) public hasVoted; // slot 8

    event ProposalCreated(
        uint256 indexed id,
        address indexed proposer,
        address indexed target,
        bytes data,
        string description,
        uint256 deadline
    );
    event Voted(uint256 indexed id, address indexed voter, bool support, uint256 weight);
    event ProposalExecuted(uint256 indexed id);
    event ProposalFailed(uint256 indexed id, bytes reason);
    event ProposalRejected(uint256 indexed id);
    event ProposalRevoked(uint256 indexed id);
    event MemberChanged(address indexed member, uint256 oldWeight, uint256 newWeight);
    event RatesChanged(uint256 participationRate, uint256 approvalRate);
    event VotingPeriodChanged(uint256 blocks);

    modifier onlyMember() {
        require(weightOf[msg.sender] > 0, "Committee: not a committee member");
        _;
    }

    /// Changes to the committee itself are actions of passed proposals, which run as this contract.
    modifier onlyThroughProposal() {
        require(msg.sender == address(this), "Committee: only a passed proposal may do this");
        _;
    }

    // ------------------------------------------------------------------ proposals

    /// @param period blocks the proposal stays open; 0 takes the committee's default.
    function propose(address target, bytes calldata data, string calldata description, uint256 period)
        external
        onlyMember
        returns (uint256 id)
    {
        require(SystemAddresses.isSystemContract(target), "Committee: target is not a system contract");
        require(data.length >= 4, "Committee: the action has no function selector");
        require(bytes(description).length <= 1024, "Committee: description longer than 1024 bytes");
        uint256 blocks = period == 0 ? votingPeriod : period;
        require(blocks >= 1 && blocks <= MAX_VOTING_PERIOD, "Committee: voting period out of range");
        Proposal storage p = proposals.push();
        id = proposals.length;
        p.proposer = msg.sender;
        p.target = target;
        p.createdAt = uint64(block.number);
        p.deadline = uint64(block.number + blocks);
        p.status = OPEN;
        p.data = data;
        p.description = description;
        emit ProposalCreated(id, msg.sender, target, data, description, block.number + blocks);
        // As in FISCO BCOS, proposing is also voting for: a one-member committee decides at once.
        _vote(id, p, true);
    }

    function vote(uint256 id, bool support) external onlyMember {
        _vote(id, _proposal(id), support);
    }

    /// The proposer may withdraw an open proposal.
    function revoke(uint256 id) external {
        Proposal storage p = _proposal(id);
        require(p.proposer == msg.sender, "Committee: only the proposer may revoke");
        require(p.status == OPEN, "Committee: proposal is not open");
        require(block.number <= p.deadline, "Committee: proposal has expired");
        p.status = REVOKED;
        p.closedAt = uint64(block.number);
        emit ProposalRevoked(id);
    }

    function _proposal(uint256 id) internal view returns (Proposal storage) {
        require(id >= 1 && id <= proposals.length, "Committee: no such proposal");
        return proposals[id - 1];
    }

    function _vote(uint256 id, Proposal storage p, bool support) internal {
        require(p.status == OPEN, "Committee: proposal is not open");
        // An expired proposal can never be executed: the deadline block is the last one that counts.
        require(block.number <= p.deadline, "Committee: proposal has expired");
        require(!hasVoted[id][msg.sender], "Committee: already voted");
        uint256 weight = weightOf[msg.sender];
        hasVoted[id][msg.sender] = true;
        votesOf[id].push(Vote(msg.sender, support, uint64(block.number), weight));
        if (support) p.forWeight += weight;
        else p.againstWeight += weight;
        emit Voted(id, msg.sender, support, weight);
        _settle(id, p);
    }

    /// Passes when enough weight took part and enough of it is for (FISCO BCOS's participation and win
    /// rates); is rejected as soon as the weight against makes passing impossible even if every other
    /// member voted for. Weights are those at the time of each vote; the total is the current one.
    function _settle(uint256 id, Proposal storage p) internal {
        uint256 total = totalWeight;
        uint256 voted = p.forWeight + p.againstWeight;
        if (p.forWeight > 0 && voted * 100 >= participationRate * total && p.forWeight * 100 >= approvalRate * voted) {
            // Closed before the call, so the action can never run twice.
            p.status = EXECUTED;
            p.closedAt = uint64(block.number);
            (bool ok, bytes memory reason) = p.target.call(p.data);
            if (ok) {
                emit ProposalExecuted(id);
            } else {
                p.status = FAILED;
                emit ProposalFailed(id, reason);
            }
        } else if (p.againstWeight * 100 > (100 - approvalRate) * total) {
            p.status = REJECTED;
            p.closedAt = uint64(block.number);
            emit ProposalRejected(id);
        }
    }

    // ------------------------------------------------------------------ actions on the committee itself

    /// Adds a member, changes its weight, or removes it (weight 0).
    function setMember(address account, uint256 weight) external onlyThroughProposal {
        require(account != address(0), "Committee: zero address");
        require(weight <= MAX_WEIGHT, "Committee: weight above 1000000");
        uint256 old = weightOf[account];
        require(old != weight, "Committee: weight unchanged");
        if (old == 0) {
            require(memberList.length < MAX_MEMBERS, "Committee: too many members");
            memberList.push(account);
        } else if (weight == 0) {
            uint256 n = memberList.length;
            for (uint256 i = 0; i < n; i++) {
                if (memberList[i] == account) {
                    memberList[i] = memberList[n - 1];
                    memberList.pop();
                    break;
                }
            }
        }
        weightOf[account] = weight;
        totalWeight = totalWeight - old + weight;
        require(totalWeight > 0, "Committee: the committee cannot be left empty");
        emit MemberChanged(account, old, weight);
    }

    function setRates(uint256 participation, uint256 approval) external onlyThroughProposal {
        require(participation <= 100, "Committee: participation rate above 100");
        require(approval >= 1 && approval <= 100, "Committee: approval rate must be 1-100");
        participationRate = participation;
        approvalRate = approval;
        emit RatesChanged(participation, approval);
    }

    function setVotingPeriod(uint256 blocks) external onlyThroughProposal {
        require(blocks >= 1 && blocks <= MAX_VOTING_PERIOD, "Committee: voting period out of range");
        votingPeriod = blocks;
        emit VotingPeriodChanged(blocks);
    }

    // ------------------------------------------------------------------ views (the audit trail)

    function members() external view returns (address[] memory accounts, uint256[] memory weights) {
        accounts = memberList;
        weights = new uint256[](accounts.length);
        for (uint256 i = 0; i < accounts.length; i++) weights[i] = weightOf[accounts[i]];
    }

    function isMember(address account) external view returns (bool) {
        return weightOf[account] > 0;
    }

    function proposalCount() external view returns (uint256) {
        return proposals.length;
    }

    /// The status as it stands now: an open proposal past its deadline reads EXPIRED (6).
    function statusOf(uint256 id) public view returns (uint8) {
        Proposal storage p = _proposal(id);
        if (p.status == OPEN && block.number > p.deadline) return EXPIRED;
        return p.status;
    }

    function getProposal(uint256 id) external view returns (Proposal memory proposal, uint8 status) {
        proposal = _proposal(id);
        status = statusOf(id);
    }

    function getVotes(uint256 id) external view returns (Vote[] memory) {
        _proposal(id);
        return votesOf[id];
    }
}

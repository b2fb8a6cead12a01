/** The governance part of `weft --help` (its own module so that printing help loads no command code). */
export const GOV_HELP = `Governance (sign with --key-file F or --from ADDRESS; every command takes --json)
  weft gov propose KIND ARGS… [--description TEXT] [--period BLOCKS]
      KIND: setting KEY VALUE | node NODE_ID observer|sealer|remove [--org ORG] | deploy-mode open|allow-list
            | deployer ADDRESS allow|deny | freeze|unfreeze ADDRESS | freeze-contract|unfreeze-contract ADDRESS
            | issuer ADDRESS NAME | revoke-issuer ADDRESS | member ADDRESS WEIGHT
            | rates PARTICIPATION% APPROVAL% | voting-period BLOCKS | contract-admin CONTRACT ADMIN
  weft gov vote ID yes|no    weft gov revoke ID    weft gov list [--status S]    weft gov show ID
  weft gov committee         weft gov audit [FROM_BLOCK [TO_BLOCK]]
  weft node add NODE_ID [--role observer|sealer] [--org ORG]   weft node remove NODE_ID
  weft node role NODE_ID observer|sealer                       weft node list [HEIGHT]
  weft config get [KEY] [--height N]    weft config set KEY VALUE   (a proposal)
  weft auth show [ADDRESS]   weft auth freeze|unfreeze ADDRESS   weft auth deploy open|allow-list
  weft auth deployer add|remove ADDRESS   weft auth issuer add ADDRESS NAME | remove ADDRESS
  weft auth claim-admin CONTRACT          weft auth method CONTRACT METHOD open|allow-list|deny-list
  weft auth access CONTRACT METHOD ACCOUNT add|remove     (METHOD: 'transfer(address,uint256)' or 0x-selector)`;

// The one error catalogue: stable `ERR_<AREA>_<WHAT>` codes with their HTTP status. Tests assert
// codes, not wording. Subsystems add their codes in their own block below.

export interface ErrorSpec {
  status: number;
  /** Default message; a thrower may give a more specific one. */
  message: string;
}

export const errorCatalogue = {
  // --- api / generic
  ERR_API_BAD_JSON: { status: 400, message: 'Request body is not valid JSON' },
  ERR_API_BAD_BODY: { status: 400, message: 'Invalid request body' },
  ERR_API_BAD_PARAM: { status: 400, message: 'Invalid request parameter' },
  ERR_API_BAD_VERSION: { status: 400, message: 'Malformed API version' },
  ERR_API_VERSION_UNSUPPORTED: { status: 406, message: 'Unsupported API version' },
  ERR_API_UNAUTHORIZED: { status: 401, message: 'Authentication required' },
  ERR_API_NOT_FOUND: { status: 404, message: 'Not found' },
  ERR_API_BODY_TOO_LARGE: { status: 413, message: 'Request body too large' },
  ERR_INTERNAL: { status: 500, message: 'Internal server error' },

  // --- config
  ERR_CONFIG_INVALID: { status: 500, message: 'Invalid configuration' },

  // --- nodes (inventory)
  ERR_NODE_NOT_FOUND: { status: 404, message: 'Node not found' },
  ERR_NODE_CONFLICT: { status: 409, message: 'Node conflicts with an existing one' },
  ERR_NODE_INVALID: { status: 400, message: 'Invalid node' },
  ERR_PORT_CONFLICT: { status: 409, message: 'A port with this address already exists' },
  ERR_PORT_NOT_FOUND: { status: 404, message: 'Port not found' },

  // --- introspection
  ERR_INTROSPECTION_NOT_FOUND: { status: 404, message: 'Could not find node in cache' },
  ERR_INTROSPECTION_INVALID_TRANSITION: { status: 400, message: 'Invalid state transition' },
  ERR_INTROSPECTION_LOCKED: { status: 409, message: 'Node is locked, please, retry later' },
  ERR_INTROSPECTION_INVALID_STATE: { status: 400, message: 'Invalid provision state for introspection' },
  ERR_INTROSPECTION_NO_LOOKUP_ATTRS: { status: 400, message: 'No lookup attributes were found' },
  ERR_INTROSPECTION_MANAGE_BOOT: { status: 400, message: 'Managed boot is not possible' },
  ERR_DATA_NOT_STORED: { status: 404, message: 'Introspection data is not stored' },

  // --- callback / lookup / processing
  ERR_LOOKUP_NOT_FOUND: { status: 400, message: 'Could not find a node for the given attributes' },
  ERR_LOOKUP_AMBIGUOUS: { status: 400, message: 'Multiple nodes match the same number of attributes' },
  ERR_LOOKUP_FINISHED: { status: 400, message: 'Introspection for this node has already finished' },
  ERR_PROCESSING_FAILED: { status: 400, message: 'Processing of introspection data failed' },
  ERR_HOOK_CONFIG: { status: 500, message: 'Invalid processing hook configuration' },
  ERR_CALLBACK_TOKEN_MISSING: { status: 401, message: 'Callback token required' },
  ERR_CALLBACK_TOKEN_INVALID: { status: 401, message: 'Callback token refused' },
  ERR_CALLBACK_RATE_LIMITED: { status: 503, message: 'Discovery callbacks are rate-limited, retry later' },

  // --- rules
  ERR_RULE_INVALID: { status: 400, message: 'Invalid introspection rule' },
  ERR_RULE_NOT_FOUND: { status: 404, message: 'Rule was not found' },
  ERR_RULE_EXISTS: { status: 409, message: 'Rule with this UUID already exists' },
  ERR_RULE_FILE_MANAGED: { status: 409, message: 'Rule comes from the rules file; edit the file instead' },
  ERR_RULES_FILE_INVALID: { status: 500, message: 'Invalid [rules] rules_file' },

  // --- store
  ERR_STORE_WRITE: { status: 500, message: 'Could not write state' },
  ERR_STORE_CORRUPT: { status: 500, message: 'State file is corrupt' },
  ERR_STORE_VERSION: { status: 500, message: 'State file was written by a newer version of inspectord' },
  ERR_STORE_BAD_NAME: { status: 400, message: 'Invalid name for a stored file' },
  ERR_STORE_DATA_WRITE: { status: 500, message: 'Could not write introspection data or ramdisk logs' },

  // --- ipmi
  ERR_IPMI_UNREACHABLE: { status: 400, message: 'BMC is not answering' },
  ERR_IPMI_AUTH: { status: 400, message: 'BMC rejected the credentials' },
  ERR_IPMI_PROTOCOL: { status: 400, message: 'BMC sent an invalid or unexpected response' },
  ERR_IPMI_COMMAND: { status: 400, message: 'BMC command failed' },
  ERR_IPMI_NO_CREDENTIALS: { status: 400, message: 'Node has no BMC address or credentials' },
  ERR_IPMI_BUSY: { status: 503, message: 'BMC has no free session slot, retry later' },
  ERR_IPMI_NO_FREE_USER: { status: 409, message: 'BMC has no free user slot for new credentials' },
  ERR_IPMI_CREDENTIALS_UNVERIFIED: { status: 400, message: 'New BMC credentials could not be verified' },
  ERR_IPMI_NODE_BUSY: {
    status: 409,
    message: 'Node is under introspection or another BMC operation; BMC credentials cannot change now',
  },
  ERR_IPMI_DISABLED: { status: 400, message: 'The IPMI client is disabled ([ipmi] enabled = false)' },

  // --- dhcp
  ERR_DHCP_CONFIG: { status: 500, message: 'Invalid DHCP configuration' },
  ERR_DHCP_BIND: { status: 500, message: 'Could not bind the DHCP port (is another DHCP server running?)' },

  // --- tftp / http-boot
  ERR_TFTP_BIND: { status: 500, message: 'TFTP listener could not bind its address' },
  ERR_BOOT_CONFIG_INVALID: { status: 500, message: 'Invalid boot configuration input' },

  // --- discovery / identity reconciliation / review / rule replay
  ERR_DISCOVERY_DISABLED: { status: 400, message: 'No node matches and auto-discovery is off' },
  ERR_DISCOVERY_CONFLICT: { status: 409, message: 'A MAC or BMC address already belongs to another node' },
  ERR_DISCOVERY_REVIEW: { status: 409, message: 'The inventory matches several nodes and needs review' },
  ERR_DISCOVERY_BUSY: { status: 409, message: 'The matching node is busy with another introspection step' },
  ERR_REVIEW_NOT_FOUND: { status: 404, message: 'Review entry was not found' },
  ERR_REVIEW_UNAVAILABLE: {
    status: 409,
    message: 'Review entries can be resolved only with node_not_found_hook = enroll',
  },

  // --- firewall
  ERR_FIREWALL_NFT_MISSING: { status: 500, message: 'nft is not installed or not on PATH' },
  ERR_FIREWALL_NFT_FAILED: { status: 500, message: 'nft rejected the batch' },
  ERR_FIREWALL_PERMISSION: { status: 500, message: 'nft needs CAP_NET_ADMIN' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalogue;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? errorCatalogue[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.details = details;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

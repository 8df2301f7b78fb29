// Out-of-band BMC credential rotation as a node use-case: refuse while the node is introspected,
// create and prove the new user over RMCP+ (src/ipmi), store it in driver_info, optionally retire
// the previous user. Glue between core (nodes, introspection locks) and the IPMI adapter.
import type { Logger } from 'pino';
import { AppError, isAppError } from './core/errors.js';
import type { EventSink } from './core/events.js';
import type { IntrospectionService } from './core/introspection.js';
import type { NodeRepository } from './core/node-repository.js';
import { bmcLabel } from './ipmi/client.js';
import type { IpmiCredentials } from './ipmi/credentials.js';

export interface RotateRequest {
  /** New user name (1–16 printable ASCII characters); default `inspector`. */
  username?: string;
  /** New password; absent → 20 random letters and digits, known only to the daemon. */
  password?: string;
  /** After the new user is stored, disable the user the node used before (never uid 1). */
  disablePrevious?: boolean;
}

/** The answer of a rotation: never the password. */
export interface RotateAnswer {
  node: string;
  username: string;
  uid: number;
  channel: number;
  password_form: 16 | 20;
  /** true: the daemon chose the password; nobody else knows it. */
  password_generated: boolean;
  previous_username: string;
  previous_disabled: boolean;
  /** Set when the rotation succeeded but disabling the previous user did not. */
  warning?: string;
}

export interface BmcCredentialRotationDeps {
  nodes: NodeRepository;
  introspection: Pick<IntrospectionService, 'record' | 'bmcTarget' | 'locks'>;
  credentials: Pick<IpmiCredentials, 'rotate' | 'disableUser'>;
  events: EventSink;
  log: Logger;
  settings: {
    /** [processing] allow_non_alnum_ipmi_password: other characters than letters and digits. */
    allowNonAlnumPassword: boolean;
  };
}

/** IPMI v2.0 §22.28: user names are up to 16 bytes of ASCII; we also refuse blanks and controls. */
const USERNAME_RE = /^[\x21-\x7e]{1,16}$/;

export class BmcCredentialRotation {
  constructor(private readonly deps: BmcCredentialRotationDeps) {}

  /** Checks the operator's input before touching the node or the BMC (400 on a bad body). */
  checkRequest(request: RotateRequest): void {
    if (request.username !== undefined && !USERNAME_RE.test(request.username)) {
      throw new AppError(
        'ERR_API_BAD_BODY',
        '"username" must be 1 to 16 printable ASCII characters without spaces',
      );
    }
    const password = request.password;
    if (password === undefined) return;
    // IPMI v2.0 §22.30: the longest password form is 20 bytes.
    if (password.length < 1 || Buffer.byteLength(password, 'utf8') > 20) {
      throw new AppError('ERR_API_BAD_BODY', '"password" must be 1 to 20 bytes long');
    }
    if (!this.deps.settings.allowNonAlnumPassword && !/^[A-Za-z0-9]+$/.test(password)) {
      throw new AppError(
        'ERR_API_BAD_BODY',
        '"password" may contain only ASCII letters and digits ([processing] allow_non_alnum_ipmi_password)',
      );
    }
  }

  async rotate(idOrName: string, request: RotateRequest): Promise<RotateAnswer> {
    this.checkRequest(request);
    const { nodes, introspection, credentials } = this.deps;
    const node = nodes.require(idOrName);
    const running = introspection.record(node.uuid);
    if (running && running.finished_at === null) {
      throw new AppError(
        'ERR_IPMI_NODE_BUSY',
        `Node ${node.uuid} is under introspection (state ${running.state}); abort it or wait before changing its BMC credentials`,
      );
    }
    const current = introspection.bmcTarget(node);
    if (!current) {
      throw new AppError(
        'ERR_IPMI_NO_CREDENTIALS',
        `Node ${node.uuid} needs driver_info ipmi_address, ipmi_username and ipmi_password (working ones) to rotate them`,
      );
    }
    // The node lock keeps an introspection start (409 there) and a second rotation out meanwhile.
    const release = introspection.locks.tryAcquire(node.uuid);
    if (!release) {
      throw new AppError(
        'ERR_IPMI_NODE_BUSY',
        `Node ${node.uuid} is locked by another operation; retry later`,
      );
    }
    const bmc = bmcLabel(current);
    const generated = request.password === undefined;
    this.emit(node.uuid, 'ipmi.credentials.rotating', 'info', `rotating BMC credentials on ${bmc}`, {
      bmc,
      previousUsername: current.username,
      ...(request.username !== undefined ? { newUsername: request.username } : {}),
      passwordGenerated: generated,
    });
    try {
      const result = await credentials.rotate(current, {
        ...(request.username !== undefined ? { username: request.username } : {}),
        ...(request.password !== undefined ? { password: request.password } : {}),
      });
      await nodes.update(
        node.uuid,
        (n) => {
          n.driver_info.ipmi_username = result.target.username;
          n.driver_info.ipmi_password = result.target.password;
        },
        { durable: true },
      );
      this.emit(
        node.uuid,
        'ipmi.credentials.stored',
        'info',
        `BMC user "${result.target.username}" (uid ${result.uid}) verified on ${bmc} and stored in driver_info`,
        { bmc, uid: result.uid, newUsername: result.target.username, passwordForm: result.passwordForm },
      );
      const answer: RotateAnswer = {
        node: node.uuid,
        username: result.target.username,
        uid: result.uid,
        channel: result.channel,
        password_form: result.passwordForm,
        password_generated: generated,
        previous_username: current.username,
        previous_disabled: false,
      };
      if (request.disablePrevious && current.username !== result.target.username) {
        try {
          answer.previous_disabled =
            (await credentials.disableUser(result.target, current.username)) !== null;
          if (!answer.previous_disabled)
            answer.warning = `no BMC user named "${current.username}" was found to disable`;
        } catch (error) {
          // The new credentials are stored and work: report, do not fail the rotation.
          answer.warning = `new credentials stored, but disabling "${current.username}" failed: ${(error as Error).message}`;
          this.deps.log.warn(
            { node: node.uuid, bmc, err: (error as Error).message },
            'could not disable previous BMC user',
          );
        }
      }
      return answer;
    } catch (error) {
      const code = isAppError(error) ? error.code : 'ERR_INTERNAL';
      this.emit(
        node.uuid,
        'ipmi.credentials.failed',
        'error',
        `BMC credential rotation on ${bmc} failed; driver_info unchanged: ${(error as Error).message}`,
        { bmc, code },
      );
      throw error;
    } finally {
      release();
    }
  }

  private emit(
    node: string,
    type: `ipmi.credentials.${string}`,
    level: 'info' | 'error',
    message: string,
    data: Record<string, unknown>,
  ): void {
    this.deps.events.emit({ type, level, node, message, data });
  }
}

// A real OpenID provider for tests/identity: oidc-provider (panva) on 127.0.0.1, configured by the JSON
// in argv[2]: {"port": n, "clients": [...], "accounts": {"<login>": {claims}}}. Sign-in goes through the
// package's own development interactions (a login form whose "login" is the account id, then consent).
// Prints "ready <issuer>" once it listens.
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = config.accounts;

const provider = new Provider(issuer, {
  clients: config.clients,
  async findAccount(ctx, id) {
    if (!Object.hasOwn(accounts, id)) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...accounts[id] }; } };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    school: ['student_number', 'school_role'],
  },
  scopes: ['openid', 'email', 'profile', 'school', 'offline_access'],
  cookies: { keys: ['circles-test-cookie-key'] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
});
provider.proxy = false;
provider.on('server_error', (ctx, err) => { console.error('server_error', err); });

provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});

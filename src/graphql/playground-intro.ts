// The playground's first tab: how to sign in, where the header goes, and a few
// queries to run once it is there. GraphiQL shows it in a new browser profile
// (later visits keep the person's own tabs).
import { DEMO_USERS } from "../demo/demo-seed.js";

export function playgroundIntro(options: { demo: boolean }): string {
  const dev = DEMO_USERS.find((user) => user.role === "dev")!;
  const accounts = options.demo
    ? [
        "# Demo accounts (make demo):",
        ...DEMO_USERS.map((user) => `#   ${user.role.padEnd(6)}  ${user.email.padEnd(20)}  ${user.password}`),
      ]
    : ["# Accounts: ADMIN_EMAIL / ADMIN_PASSWORD at start, or `npm run seed` (its demo accounts)."];
  const email = options.demo ? dev.email : "you@example.com";
  const password = options.demo ? dev.password : "your password";
  return `# VM orchestrator data API
#
# Every query needs a token.
# 1. Sign in: run "SignIn" below (the ▶ button, then pick SignIn).
# 2. Copy "token" from the response.
# 3. Open the Headers tab under this editor and paste, with your token:
#      { "Authorization": "Bearer <token>" }
# 4. Run the other operations. Without the header they answer UNAUTHENTICATED.
#
${accounts.join("\n")}

mutation SignIn {
  login(email: "${email}", password: "${password}") {
    token
    expiresAt
    user { email role }
  }
}

query Me {
  me { id email role }
}

query Vms {
  vms(first: 10) {
    edges { node { id name environment tags } }
  }
}

query RecentJobs {
  jobs(first: 10) {
    edges { node { id command status startedAt vm { name } } }
  }
}

# Paste a job id from RecentJobs.
query JobLogs {
  logs(jobId: "<job id>", first: 50) {
    edges { node { ts stream data } }
  }
}
`;
}

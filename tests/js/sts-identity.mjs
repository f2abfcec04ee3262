// Print the caller's ARN as the AWS SDK for JavaScript v3 sees it.
//
// Used by tests/e2e/test_js_sdk.py as `awsafe exec --ecs-server PROFILE -- node tests/js/sts-identity.mjs`.
// No credentials, region or endpoint are given to the client: everything comes from the SDK's
// own resolution, as in any unmodified program:
//   - credentials: the default provider chain (@aws-sdk/credential-provider-node). With no
//     AWS_ACCESS_KEY_ID and no [default] profile it reaches the container provider, which reads
//     AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN;
//   - region: AWS_REGION;
//   - endpoint: AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL, which the pinned SDK honours itself
//     (@smithy/core getEndpointUrlConfig), so the test's moto receives the call.
//
// stdout: the ARN, alone on one line. stderr: one line naming the credential source the SDK
// recorded (`$source`, e.g. CREDENTIALS_HTTP for the container provider), for the test to check.
// Exit status 1, with the error on stderr, when anything fails.
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";

const client = new STSClient({ maxAttempts: 1 });
try {
    const identity = await client.send(new GetCallerIdentityCommand({}));
    // The client memoizes its credentials: this returns what signed the call, without a new fetch.
    const credentials = await client.config.credentials();
    const sources = Object.keys(credentials.$source ?? {}).sort().join(",") || "unknown";
    const expiration = credentials.expiration ? credentials.expiration.toISOString() : "none";
    process.stderr.write(`sts-identity: credential source ${sources}, expiration ${expiration}\n`);
    process.stdout.write(`${identity.Arn}\n`);
} catch (error) {
    process.stderr.write(`sts-identity: ${error?.name ?? "Error"}: ${error?.message ?? error}\n`);
    process.exitCode = 1;
} finally {
    client.destroy();
}

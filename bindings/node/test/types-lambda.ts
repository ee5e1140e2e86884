// Compiled by `tsc -p tsconfig.json` (no emit): corsgate/lambda's
// declarations against @types/aws-lambda's handler types.
import type {
  ALBHandler,
  APIGatewayProxyHandler,
  APIGatewayProxyHandlerV2,
  APIGatewayProxyResult,
  LambdaFunctionURLHandler,
  SQSHandler,
} from 'aws-lambda';
import { Policy } from 'corsgate';
import { withCors, eventFormat, FORMATS, type EventFormat } from 'corsgate/lambda';

const rest: APIGatewayProxyHandler = withCors({ origins: ['https://app.example.com'] }, async (event) => {
  const result: APIGatewayProxyResult = { statusCode: 200, body: event.path };
  return result;
});
const http: APIGatewayProxyHandlerV2 = withCors('cors.toml', async (event) => ({
  statusCode: 200,
  cookies: ['a=1'],
  body: event.rawPath,
}));
const url: LambdaFunctionURLHandler = withCors(Policy.fromToml('origins = ["*"]'), async () => 'text');
const alb: ALBHandler = withCors({ origins: ['https://app.example.com'], credentials: true }, (event, context, callback) => {
  callback(null, { statusCode: 200, statusDescription: '200 OK', body: event.path });
});
const sqs: SQSHandler = withCors({ origins: ['*'] }, async () => undefined);
const format: EventFormat | null = eventFormat({ httpMethod: 'GET', headers: {} });
const all: readonly EventFormat[] = FORMATS;
export { rest, http, url, alb, sqs, format, all };

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  RestApi,
  type IResource,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { API_ROUTES } from '../../functions/api/routes';
import { ConciergeFunction, FUNCTION_DEFERRED_MODULES } from '../concierge-function';
import { acknowledgeFinding, acknowledgeFunctionBaseline } from './findings';
import { functionEntry } from './function-entry';
import { ResourceGroup } from './resource-group';
import type { Sending } from './sending';
import type { TicketTable } from './table';

export interface StaffApiProps {
  /** The API reads tickets and reads and writes the roster. */
  readonly table: TicketTable;
  /** Staff answers sent through the API go out through SES like those sent by email. */
  readonly sending: Sending;
  /** The address answers come from (the first support address). */
  readonly supportAddress: string;
  /** The SLA policy file's text, bundled into the function (staff changes recompute due times); absent, the defaults. */
  readonly slaPolicyText?: string;
  /** The deposit-address file's text, bundled into the function (it relays staff answers); absent, none. */
  readonly depositAddressesText?: string;
  readonly logRetention: RetentionDays;
}

/** Optional query parameters API Gateway is told about, by resource. */

/**
 * The staff and operator API: API Gateway with IAM authorisation on every route, request validation, access
 * and execution logs, X-Ray, in front of the `api` function.
 */
export class StaffApi extends ResourceGroup {
  readonly fn: ConciergeFunction;
  readonly restApi: RestApi;

  constructor(scope: Construct, id: string, props: StaffApiProps) {
    super(scope, id);
    this.fn = new ConciergeFunction(this, 'Api', {
      entry: functionEntry('api', 'handler.ts'),
      description: 'Staff and operator API behind API Gateway (IAM)',
      memorySize: 256,
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
      environment: { SUPPORT_ADDRESS: props.supportAddress },
      extraDeferredModules: FUNCTION_DEFERRED_MODULES.api,
      ...(props.slaPolicyText === undefined ? {} : { slaPolicyText: props.slaPolicyText }),
      ...(props.depositAddressesText === undefined ? {} : { depositAddressesText: props.depositAddressesText }),
    });
    acknowledgeFunctionBaseline(this.fn);
    props.table.grant(this.fn, 'read-write');
    props.sending.grantReplyAddressSigning(this.fn);
    props.sending.grantSend(this.fn);

    const accessLogGroup = new LogGroup(this, 'ApiAccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.restApi = new RestApi(this, 'StaffApi', {
      description: 'Concierge staff and operator API (IAM-authorised)',
      cloudWatchRole: true,
      // The logging role is an account-wide API Gateway setting that other APIs may rely on: keep it.
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.INFO,
        metricsEnabled: true,
        accessLogDestination: new LogGroupLogDestination(accessLogGroup),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    acknowledgeFinding(this.restApi, 'AwsSolutions-APIG3', 'IAM-authorised staff API, not public; WAF adds cost without a threat it addresses here.');
    acknowledgeFinding(this.restApi, 'AwsSolutions-COG4', 'Staff and operators authenticate with IAM (SigV4), not Cognito.');
    acknowledgeFinding(
      this.restApi.node.findChild('CloudWatchRole'),
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'AWS-maintained role API Gateway needs to write execution logs.',
    );

    const validator = new RequestValidator(this, 'StaffApiValidator', { restApi: this.restApi, validateRequestParameters: true, validateRequestBody: true });
    const integration = new LambdaIntegration(this.fn, { allowTestInvoke: false });
    const withAnyMethod = new Set<IResource>();
    for (const route of API_ROUTES) {
      let resource: IResource = this.restApi.root;
      const requestParameters: Record<string, boolean> = {};
      for (const part of route.resource.split('/').filter(Boolean)) {
        resource = resource.getResource(part) ?? resource.addResource(part);
        if (part.startsWith('{')) requestParameters[`method.request.path.${part.slice(1, -1)}`] = true;
      }
      for (const name of route.query) requestParameters[`method.request.querystring.${name}`] = false;
      resource.addMethod(route.method, integration, { requestValidator: validator, requestParameters });
      // Any other method on a known path reaches the function too (still IAM-authorised), which answers 405
      // with an Allow header instead of API Gateway's 403.
      if (!withAnyMethod.has(resource)) {
        resource.addMethod('ANY', integration, { requestValidator: validator });
        withAnyMethod.add(resource);
      }
    }
  }
}

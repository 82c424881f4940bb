import { Logger } from '@aws-lambda-powertools/logger';

/** One structured JSON logger per function; fields are ids and outcomes, never message bodies. */
export const logger = new Logger({ serviceName: 'concierge' });

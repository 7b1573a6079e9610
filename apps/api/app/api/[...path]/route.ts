import { nextNotFoundHandlers } from 'gatehouse/next';

import { getGatehouse } from '@/lib/gatehouse';

// Every /api path no other route serves: a 404 problem through the pipeline, for every method.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextNotFoundHandlers(getGatehouse);

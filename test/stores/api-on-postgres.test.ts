import { apiTestsOn } from './api-on-store.ts';

apiTestsOn('postgres', 'PostgreSQL');

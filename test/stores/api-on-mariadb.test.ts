import { apiTestsOn } from './api-on-store.ts';

apiTestsOn('mysql', 'MariaDB');

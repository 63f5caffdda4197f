import type { RouteObject } from 'react-router';
import { areaPages } from '../i18n/i18n.tsx';

const page = areaPages(() => import('./messages.ts'));

/** Purchases, receipts (the QR code library loads only there) and the admin's orders: each page its own chunk. */
export const paymentRoutes: RouteObject[] = [
  { path: 'purchases', lazy: page(async () => ({ Component: (await import('./PurchasesPage.tsx')).PurchasesPage })) },
  { path: 'receipts/:paymentId', lazy: page(async () => ({ Component: (await import('./ReceiptPage.tsx')).ReceiptPage })) },
  { path: 'admin/orders', lazy: page(async () => ({ Component: (await import('./OrdersPage.tsx')).OrdersPage })) },
];

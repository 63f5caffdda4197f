/**
 * Every jurisdiction the platform is deployed in, one row each: the wrangler configurations
 * (`npm run config`), the dev launcher, the deploy checks, the SPA's sign-up list and the Workers'
 * content-sync bindings all come from this table, so a new jurisdiction is one row.
 * Plain TypeScript: Node scripts, the Workers and the SPA import it.
 */
/** Stripe Checkout where it is offered; Moyasar in Saudi Arabia (mada, Apple Pay, STC Pay). */
export const PAYMENT_PROVIDERS = ['stripe', 'moyasar'] as const;
export type PaymentProvider = (typeof PAYMENT_PROVIDERS)[number];

interface Jurisdiction {
  id: string;
  /** Display names in the SPA's languages. */
  names: { en: string; ar: string };
  currency: string;
  locale: string;
  /** Who takes its payments, and the tax in its prices (`null`: none). */
  payments: {
    provider: PaymentProvider;
    /** Basis points; the prices shown include it. */
    tax: { name: { en: string; ar: string }; rateBasisPoints: number } | null;
    /** The seller on receipts; in `sa` the simplified tax invoice names its VAT registration number. */
    seller: { name: string; vatNumber: string | null };
  };
  /** Its bucket, through the S3 API. */
  bucket: string;
  /** R2 / Durable Object jurisdiction where Cloudflare has one; null: default location, or an in-country S3 store (R2 has no Saudi jurisdiction). */
  storageJurisdiction: 'eu' | 'fedramp' | null;
  /** Production API and SPA origin. */
  url: `https://${string}`;
  /** `npm run dev` serves it on this port. */
  localPort: number;
}

export const JURISDICTIONS = [
  { id: 'us', names: { en: 'United States', ar: 'الولايات المتحدة' }, currency: 'USD', locale: 'en-US', payments: { provider: 'stripe', tax: null, seller: { name: 'KnowledgeCity Edge, Inc.', vatNumber: null } }, bucket: 'kce-us', storageJurisdiction: null, url: 'https://us.knowledgecity.example', localPort: 8787 },
  { id: 'sa', names: { en: 'Saudi Arabia', ar: 'المملكة العربية السعودية' }, currency: 'SAR', locale: 'ar-SA', payments: { provider: 'moyasar', tax: { name: { en: 'VAT', ar: 'ضريبة القيمة المضافة' }, rateBasisPoints: 1500 }, seller: { name: 'KnowledgeCity Edge Arabia', vatNumber: '300000000000003' } }, bucket: 'kce-sa', storageJurisdiction: null, url: 'https://sa.knowledgecity.example', localPort: 8788 },
  { id: 'eu', names: { en: 'European Union', ar: 'الاتحاد الأوروبي' }, currency: 'EUR', locale: 'en-IE', payments: { provider: 'stripe', tax: null, seller: { name: 'KnowledgeCity Edge Europe', vatNumber: null } }, bucket: 'kce-eu', storageJurisdiction: 'eu', url: 'https://eu.knowledgecity.example', localPort: 8789 },
] as const satisfies readonly Jurisdiction[];

export type JurisdictionId = (typeof JURISDICTIONS)[number]['id'];

export const JURISDICTION_IDS: readonly JurisdictionId[] = JURISDICTIONS.map((row) => row.id);

/**
 * The binding of a jurisdiction's `content-sync` queue in the others' Workers. It keeps the id's own
 * spelling (`CONTENT_SYNC_sa`) so that the name is typed from the table without a cast.
 */
export type ContentSyncBinding = `CONTENT_SYNC_${JurisdictionId}`;
export function contentSyncBinding(id: JurisdictionId): ContentSyncBinding {
  return `CONTENT_SYNC_${id}`;
}

export function jurisdictionById(id: string): (typeof JURISDICTIONS)[number] | undefined {
  return JURISDICTIONS.find((row) => row.id === id);
}

/** The learner pages' words, English and Arabic. */
export const messages = {
  en: {},
  ar: {},
} satisfies Record<'en' | 'ar', Record<string, string>>;

-- Search text, indexed and queried alike (contracts/arabic.ts is its TypeScript twin, and a test
-- holds them equal): NFKC; Arabic diacritics, Quranic marks and tatweel removed; alef forms,
-- ta marbuta and alef maqsura unified; lower case; whitespace collapsed. So مقدمه finds مقدّمة.
CREATE FUNCTION kce_search_normalize(input text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN btrim(regexp_replace(lower(translate(regexp_replace(normalize(input, NFKC), '[\u064B-\u065F\u0670\u06D6-\u06ED\u0640]', '', 'g'), 'أإآٱةى', 'ااااهي')), '\s+', ' ', 'g'));--> statement-breakpoint
-- The text search configuration of a language tag: Arabic and English are stemmed, others are not.
CREATE FUNCTION kce_search_config(language text) RETURNS regconfig
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN CASE lower(split_part(language, '-', 1)) WHEN 'ar' THEN 'arabic'::regconfig WHEN 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END;

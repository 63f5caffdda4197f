import type { ErrorCode } from '../../../contracts/errors.ts';

/** What the SPA can be refused with: the API's catalog, and the two failures of the wire itself. */
export type ClientErrorCode = ErrorCode | 'network_error' | 'http_error';

/**
 * Arabic for every code (English readers get the server's own, more specific message). A `Record`
 * over the union: a code added to the catalog does not compile here until it has its words.
 */
export const arabicErrors: Record<ClientErrorCode, string> = {
  invalid_request: 'الطلب غير صالح: راجع الحقول المظللة وأعد المحاولة.',
  invalid_cursor: 'انتهت صلاحية موضع التصفح: ابدأ من الصفحة الأولى.',
  invalid_part_number: 'رقم جزء الرفع غير صالح.',
  invalid_parts: 'رفض التخزين أجزاء الرفع: أعد رفع الملف.',
  invalid_video: 'لا يمكن ربط الدرس إلا بفيديو مرفوع لهذه الدورة.',
  invalid_media_path: 'مسار الوسائط هذا لا يشير إلى ملف منشور.',
  unauthenticated: 'سجّل الدخول أولاً.',
  invalid_credentials: 'البريد الإلكتروني أو كلمة المرور غير صحيحة.',
  invalid_token: 'جلسة الدخول غير صالحة: سجّل الدخول من جديد.',
  token_expired: 'انتهت جلسة الدخول: سجّل الدخول من جديد.',
  invalid_refresh_token: 'انتهت الجلسة أو أنها غير صالحة: سجّل الدخول من جديد.',
  refresh_token_reused: 'استُخدم تسجيل الدخول هذا من مكان آخر فأُنهي في كل مكان. سجّل الدخول من جديد.',
  session_revoked: 'انتهى تسجيل الدخول هذا (خروج، أو تغيّرت كلمة المرور أو الدور): سجّل الدخول من جديد.',
  invalid_signature: 'التوقيع غير صالح.',
  payment_required: 'هذه الدورة مدفوعة: اشترها للوصول إلى دروسها.',
  forbidden: 'لا تملك صلاحية القيام بهذا.',
  not_enrolled: 'سجّل في الدورة لحفظ تقدّمك.',
  invalid_media_token: 'رابط الوسائط غير صالح أو انتهت صلاحيته: أعد تحميل الصفحة.',
  not_found: 'لم نجد ما تبحث عنه.',
  email_taken: 'يوجد حساب بهذا البريد الإلكتروني. سجّل الدخول بدلاً من ذلك.',
  slug_taken: 'هذا المعرّف مستخدم لدورة أخرى: اختر غيره.',
  replica_read_only: 'هذه الدورة نسخة من منطقة أخرى: عدّلها هناك.',
  course_incomplete: 'أضف درساً واحداً على الأقل قبل نشر الدورة.',
  video_not_ready: 'الفيديو قيد المعالجة ولم يجهز للمشاهدة بعد.',
  upload_complete: 'اكتمل رفع هذا الفيديو بالفعل.',
  upload_missing: 'لم يصل ملف الفيديو إلى التخزين بعد: ارفعه أولاً.',
  upload_size_mismatch: 'حجم الملف المرفوع يختلف عن الحجم المعلن: أعد الرفع.',
  upload_expired: 'انتهت صلاحية هذا الرفع: ألغه وارفع الملف من جديد.',
  not_multipart: 'هذا الرفع ليس مقسّماً إلى أجزاء.',
  not_for_sale: 'هذه الدورة غير معروضة للبيع في منطقتك.',
  already_owned: 'تملك هذه الدورة بالفعل.',
  not_refundable: 'لا يمكن استرداد إلا طلب مدفوع.',
  idempotency_key_reused: 'أعد تحميل الصفحة ثم حاول الشراء من جديد.',
  payload_too_large: 'الطلب أكبر من المسموح.',
  video_too_large: 'الفيديو أكبر من الحجم المسموح.',
  range_not_satisfiable: 'الجزء المطلوب خارج حدود الملف.',
  wrong_jurisdiction: 'حسابك في منطقة أخرى: سجّل الدخول هناك.',
  invalid_captions: 'ملف الترجمة غير صالح: راجع السطر المذكور.',
  rate_limited: 'محاولات كثيرة جداً. انتظر قليلاً ثم أعد المحاولة.',
  internal_error: 'حدث خطأ من جهتنا. اذكر معرّف التتبع عند الإبلاغ عنه.',
  payment_provider_error: 'تعذّر الوصول إلى مزوّد الدفع، ولم يُخصم شيء. أعد المحاولة بعد قليل.',
  invalid_configuration: 'إعدادات هذا النشر غير مكتملة. اذكر معرّف التتبع عند الإبلاغ عنه.',
  cache_unavailable: 'لا يمكن الحفظ الآن، ولم يتغيّر شيء. أعد المحاولة بعد قليل.',
  revocation_unavailable: 'لا يمكن إنهاء الجلسات الآن، ولم يتغيّر شيء. أعد المحاولة بعد قليل.',
  analytics_unavailable: 'لا يمكن قراءة التحليلات الآن. أعد المحاولة بعد قليل.',
  service_unavailable: 'إحدى الخدمات التي يحتاجها هذا الطلب لا تستجيب الآن. أعد المحاولة بعد ثوانٍ.',
  network_error: 'تعذّر الوصول إلى الخادم. تحقّق من اتصالك وأعد المحاولة.',
  http_error: 'أجاب الخادم بخطأ غير متوقّع. أعد المحاولة.',
};

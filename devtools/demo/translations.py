"""Demo translations of meetings (issue 18): the next two upcoming meetings, the first in Arabic,
Turkish, Portuguese and English, the second in Arabic and Turkish.

Idempotent: nothing is added once any translation exists. The demo meetings all share one agenda
and the same practical information (devtools.demo.meetings): only the titles differ.
"""

from __future__ import annotations

from django.utils import timezone

from dialogue.models import Meeting, MeetingStatus, MeetingTranslation, offered_languages

TITLE_TRANSLATIONS: dict[str, dict[str, str]] = {
    "Café des habitants : la vie du quartier": {
        "ar": "مقهى السكان: الحياة في الحي",
        "tr": "Mahalle sakinleri kahvesi: mahallede yaşam",
        "pt": "Café dos moradores: a vida do bairro",
        "en": "Residents' café: life in the neighbourhood",
    },
    "Propreté et cadre de vie : faisons le point": {
        "ar": "النظافة وإطار العيش: لنراجع الوضع معًا",
        "tr": "Temizlik ve yaşam çevresi: durumu birlikte değerlendirelim",
        "pt": "Limpeza e qualidade de vida: vamos fazer o ponto da situação",
        "en": "Cleanliness and living environment: where do we stand?",
    },
    "Atelier : imaginer la place centrale": {
        "ar": "ورشة عمل: لنتخيّل الساحة المركزية",
        "tr": "Atölye: merkez meydanı birlikte hayal edelim",
        "pt": "Oficina: imaginar a praça central",
        "en": "Workshop: imagining the central square",
    },
    "Rencontre avec le bailleur : travaux et charges": {
        "ar": "لقاء مع المؤجِّر: الأشغال والتكاليف",
        "tr": "Konut kurumuyla buluşma: tadilat ve aidatlar",
        "pt": "Encontro com o senhorio: obras e encargos",
        "en": "Meeting with the landlord: building works and service charges",
    },
    "Jeunesse : quelles activités pour l'été ?": {
        "ar": "الشباب: ما هي الأنشطة لفصل الصيف؟",
        "tr": "Gençlik: yaz için hangi etkinlikler?",
        "pt": "Juventude: que atividades para o verão?",
        "en": "Young people: which activities for the summer?",
    },
    "Diagnostic en marchant : sécurité des trajets": {
        "ar": "جولة ميدانية: سلامة الطرقات والمسارات",
        "tr": "Yürüyerek tespit: yolların güvenliği",
        "pt": "Diagnóstico a pé: segurança dos percursos",
        "en": "Walking survey: safe routes in the neighbourhood",
    },
    "Point d'étape du projet de renouvellement urbain": {
        "ar": "آخر مستجدات مشروع التجديد الحضري",
        "tr": "Kentsel yenileme projesinde son durum",
        "pt": "Ponto da situação do projeto de renovação urbana",
        "en": "Progress update on the urban renewal project",
    },
    "Fonds de participation des habitants : vos idées": {
        "ar": "صندوق مشاركة السكان: أفكاركم",
        "tr": "Mahalle sakinleri katılım fonu: fikirleriniz",
        "pt": "Fundo de participação dos moradores: as vossas ideias",
        "en": "Residents' participation fund: your ideas",
    },
}
SUMMARIES = {
    "ar": (
        "لقاء مفتوح لجميع سكان الحي. نبدأ بجولة تعارف وأخبار الحي، ثم نجيب على الأسئلة التي "
        "طُرحت في المرة الماضية، ونتحدث عن موضوع اليوم والخطوات القادمة."
    ),
    "tr": (
        "Mahallenin tüm sakinlerine açık bir buluşma. Tanışma ve mahalleden haberlerle "
        "başlıyoruz, geçen sefer sorulan soruları yanıtlıyoruz, ardından günün konusunu ve "
        "sonraki adımları konuşuyoruz."
    ),
    "pt": (
        "Um encontro aberto a todos os moradores do bairro. Começamos com uma volta à mesa e as "
        "notícias do bairro, respondemos às perguntas feitas da última vez e falamos do tema do "
        "dia e dos próximos passos."
    ),
    "en": (
        "A meeting open to every resident of the neighbourhood. We start with a round of "
        "introductions and local news, answer the questions asked last time, then talk about the "
        "topic of the day and the next steps."
    ),
}
PRACTICAL_INFORMATION = {
    "ar": (
        "محطة الترام أو الحافلة على بعد 5 دقائق. الدخول من الفناء. القاعة في الطابق الأرضي، "
        "والمراحيض مهيأة لذوي الإعاقة. الحضور مجاني."
    ),
    "tr": (
        "Tramvay veya otobüs durağı 5 dakika uzaklıkta. Giriş avludan. Salon zemin katta, "
        "engelli tuvaleti var. Katılım ücretsizdir."
    ),
    "pt": (
        "Paragem de elétrico ou de autocarro a 5 minutos. Entrada pelo pátio. Sala no "
        "rés-do-chão, casas de banho acessíveis. A participação é gratuita."
    ),
    "en": (
        "Tram or bus stop 5 minutes away. Entrance through the courtyard. Ground-floor room, "
        "accessible toilets. Free of charge."
    ),
}
# The languages of the next upcoming meeting, then of the one after.
LANGUAGES_PER_MEETING = (("ar", "tr", "pt", "en"), ("ar", "tr"))


def load_demo_translations() -> int:
    """Translate the next two planned meetings; returns how many translations were created."""
    if MeetingTranslation.objects.exists():
        return 0
    meetings = Meeting.objects.filter(
        status=MeetingStatus.PLANNED,
        starts_at__gt=timezone.now(),
        title__in=list(TITLE_TRANSLATIONS),
    ).order_by("starts_at", "pk")[: len(LANGUAGES_PER_MEETING)]
    offered = offered_languages()
    translations = [
        MeetingTranslation(
            meeting=meeting,
            language=language,
            title=TITLE_TRANSLATIONS[meeting.title][language],
            summary=SUMMARIES[language],
            practical_information=PRACTICAL_INFORMATION[language],
        )
        for meeting, languages in zip(meetings, LANGUAGES_PER_MEETING, strict=False)
        for language in languages
        if language in offered
    ]
    MeetingTranslation.objects.bulk_create(translations)
    return len(translations)

"""The offline strategist's copy, per language: greetings per tone, the five angles, deadlines,
calls to action and the opt-out line, written by hand for each language we support.

Slots are `$name` (string.Template); `{first_name}` stays for per-contact rendering. Each angle
frames the offer as a headline ("Winter boots: 20% off until 7 December."), so a product name
the marketer typed never has to agree with an article or a case ending of ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from string import Template

DEFAULT_LANGUAGE = "en"
TONE_NAMES = ("friendly", "playful", "formal", "professional", "enthusiastic")
ANGLE_NAMES = ("direct", "question", "personal", "short", "helpful")


@dataclass(frozen=True)
class LanguageCopy:
    """Everything the offline strategist writes in one language."""

    name: str  # the language's own name, for notes
    greetings: dict[str, str]  # tone -> greeting with {first_name}
    questions: dict[str, str]  # tone -> the question angle's opener
    personal: str  # the personal angle's line before the headline
    helpful: str  # the helpful angle's line after the headline
    cta_with_link: dict[str, Template]  # tone -> "$url" call to action
    cta_reply: str  # the call to action without a link
    until: Template  # " until $date"
    months: tuple[str, ...]  # month names as they follow a day number
    day_format: Template  # "$day $month"
    opt_out: str
    neutral: tuple[str, ...]  # headlines for a brief that names nothing we may quote
    offers: OfferWords  # the offers the offline strategist can say in this language
    quotes: tuple[str, str]  # how this language quotes a name kept as the marketer typed it

    def deadline(self, day: date) -> str:
        """Returns " until 7 December" in this language."""
        text = self.day_format.substitute(day=day.day, month=self.months[day.month - 1])
        return self.until.substitute(date=text)


@dataclass(frozen=True)
class OfferWords:
    """The common offers in one language's own words; `$n` is a number, `$money` an amount."""

    percent_off: Template  # "$n% off"
    up_to_percent_off: Template  # "up to $n% off"
    amount_off: Template  # "$money off"
    free_shipping: str
    two_for_one: str
    free_gift: str
    special_offer: str  # what an offer we cannot say in this language becomes
    joined_by: str  # " and "
    decimal_comma: bool  # 12,5 rather than 12.5
    money_first: bool  # "$10" rather than "10 $"


def _tones(
    friendly: str, playful: str, formal: str, professional: str, eager: str
) -> dict[str, str]:
    return dict(zip(TONE_NAMES, (friendly, playful, formal, professional, eager), strict=True))


def _links(friendly: str, formal: str) -> dict[str, Template]:
    """The link's lead: the friendly one for casual tones, the formal one for the others."""
    casual, sober = Template(friendly), Template(formal)
    return {
        "friendly": casual,
        "playful": casual,
        "enthusiastic": casual,
        "formal": sober,
        "professional": sober,
    }


COPY: dict[str, LanguageCopy] = {
    "en": LanguageCopy(
        name="English",
        greetings=_tones(
            "Hi {first_name}!",
            "Hey {first_name} 👋",
            "Dear {first_name},",
            "Hello {first_name},",
            "Hi {first_name}!",
        ),
        questions=_tones(
            "Got a minute?",
            "Guess what?",
            "May we share some news?",
            "A quick update for you.",
            "Ready for some good news?",
        ),
        personal="You asked to hear our news first, so here it is.",
        helpful="Any questions? Just reply to this message.",
        cta_with_link=_links("Take a look: $url", "Details: $url"),
        cta_reply="Reply to this message if you would like to know more.",
        until=Template(" until $date"),
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        day_format=Template("$day $month"),
        opt_out="Reply /stop to unsubscribe.",
        neutral=(
            "We have an update we think you will find useful.",
            "There is something new from us that may interest you.",
            "A short note with news from us.",
            "We would like to share a small update with you.",
            "Here is a quick update from our team.",
        ),
        offers=OfferWords(
            percent_off=Template("$n% off"),
            up_to_percent_off=Template("up to $n% off"),
            amount_off=Template("$money off"),
            free_shipping="free shipping",
            two_for_one="buy one, get one free",
            free_gift="a free gift",
            special_offer="a special offer",
            joined_by=" and ",
            decimal_comma=False,
            money_first=True,
        ),
        quotes=("“", "”"),
    ),
    "ru": LanguageCopy(
        name="Русский",
        greetings=_tones(
            "Привет, {first_name}!",
            "Привет, {first_name} 👋",
            "Здравствуйте, {first_name}!",
            "Здравствуйте, {first_name}!",
            "Привет, {first_name}!",
        ),
        questions=_tones(
            "Есть минутка?",
            "Угадайте, что у нас нового?",
            "Позвольте поделиться новостью.",
            "Коротко о новом.",
            "Готовы к хорошим новостям?",
        ),
        personal="Вы хотели узнавать наши новости первыми — вот они.",
        helpful="Есть вопросы? Просто ответьте на это сообщение.",
        cta_with_link=_links("Посмотреть: $url", "Подробнее: $url"),
        cta_reply="Ответьте на это сообщение, если хотите узнать больше.",
        until=Template(" до $date"),
        months=(
            "января",
            "февраля",
            "марта",
            "апреля",
            "мая",
            "июня",
            "июля",
            "августа",
            "сентября",
            "октября",
            "ноября",
            "декабря",
        ),
        day_format=Template("$day $month"),
        opt_out="Чтобы отписаться, отправьте /stop.",
        neutral=(
            "У нас есть новость, которая может быть вам полезна.",
            "У нас появилось кое-что новое, что может вас заинтересовать.",
            "Короткое сообщение с нашими новостями.",
            "Хотим поделиться с вами небольшой новостью.",
            "Коротко о новом от нашей команды.",
        ),
        offers=OfferWords(
            percent_off=Template("скидка $n%"),
            up_to_percent_off=Template("скидки до $n%"),
            amount_off=Template("скидка $money"),
            free_shipping="бесплатная доставка",
            two_for_one="два по цене одного",
            free_gift="подарок к покупке",
            special_offer="специальное предложение",
            joined_by=" и ",
            decimal_comma=True,
            money_first=False,
        ),
        quotes=("«", "»"),
    ),
    "de": LanguageCopy(
        name="Deutsch",
        greetings=_tones(
            "Hallo {first_name}!",
            "Hey {first_name} 👋",
            "Guten Tag {first_name},",
            "Hallo {first_name},",
            "Hallo {first_name}!",
        ),
        questions=_tones(
            "Haben Sie kurz Zeit?",  # "Sie" throughout: the opt-out and the rest say "Sie"
            "Raten Sie mal, was es Neues gibt?",
            "Dürfen wir Ihnen etwas Neues zeigen?",
            "Ein kurzes Update für Sie.",
            "Bereit für gute Nachrichten?",
        ),
        personal="Sie wollten unsere Neuigkeiten als Erste erfahren – hier sind sie.",
        helpful="Fragen? Antworten Sie einfach auf diese Nachricht.",
        cta_with_link=_links("Jetzt ansehen: $url", "Details: $url"),
        cta_reply="Antworten Sie auf diese Nachricht, wenn Sie mehr erfahren möchten.",
        until=Template(" bis $date"),
        months=(
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ),
        day_format=Template("$day. $month"),
        opt_out="Zum Abbestellen antworten Sie mit /stop.",
        neutral=(
            "Wir haben Neuigkeiten, die für Sie nützlich sein könnten.",
            "Es gibt etwas Neues von uns, das Sie interessieren könnte.",
            "Eine kurze Nachricht mit Neuigkeiten von uns.",
            "Wir möchten Ihnen eine kleine Neuigkeit mitteilen.",
            "Ein kurzes Update von unserem Team.",
        ),
        offers=OfferWords(
            percent_off=Template("$n % Rabatt"),
            up_to_percent_off=Template("bis zu $n % Rabatt"),
            amount_off=Template("$money Rabatt"),
            free_shipping="kostenloser Versand",
            two_for_one="zwei zum Preis von einem",
            free_gift="ein Geschenk zu Ihrem Einkauf",
            special_offer="ein Sonderangebot",
            joined_by=" und ",
            decimal_comma=True,
            money_first=False,
        ),
        quotes=("„", "“"),
    ),
    "fr": LanguageCopy(
        name="Français",
        greetings=_tones(
            "Bonjour {first_name} !",
            "Coucou {first_name} 👋",
            "Bonjour {first_name},",
            "Bonjour {first_name},",
            "Bonjour {first_name} !",
        ),
        questions=_tones(
            "Vous avez une minute ?",
            "Devinez quoi ?",
            "Pouvons-nous vous faire part d'une nouvelle ?",
            "Une petite nouveauté pour vous.",
            "Envie d'une bonne nouvelle ?",
        ),
        personal="Vous avez souhaité connaître nos nouveautés en premier : les voici.",
        helpful="Une question ? Répondez simplement à ce message.",
        cta_with_link=_links("À découvrir ici : $url", "En savoir plus : $url"),
        cta_reply="Répondez à ce message pour en savoir plus.",
        until=Template(" jusqu'au $date"),
        months=(
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ),
        day_format=Template("$day $month"),
        opt_out="Pour vous désabonner, répondez /stop.",
        neutral=(
            "Nous avons une nouveauté qui pourrait vous être utile.",
            "Il y a du nouveau chez nous, et cela pourrait vous intéresser.",
            "Un petit message avec nos nouvelles.",
            "Nous souhaitons partager une petite nouveauté avec vous.",
            "Voici les dernières nouvelles de notre équipe.",
        ),
        offers=OfferWords(
            percent_off=Template("$n % de réduction"),
            up_to_percent_off=Template("jusqu'à $n % de réduction"),
            amount_off=Template("$money de réduction"),
            free_shipping="livraison gratuite",
            two_for_one="deux pour le prix d'un",
            free_gift="un cadeau offert",
            special_offer="une offre spéciale",
            joined_by=" et ",
            decimal_comma=True,
            money_first=False,
        ),
        quotes=("«\u00a0", "\u00a0»"),
    ),
    "es": LanguageCopy(
        name="Español",
        greetings=_tones(
            "¡Hola, {first_name}!",
            "¡Hola, {first_name}! 👋",
            "Buenos días, {first_name}:",
            "Hola, {first_name}:",
            "¡Hola, {first_name}!",
        ),
        questions=_tones(
            "¿Tienes un minuto?",
            "¿Adivinas qué hay de nuevo?",
            "¿Te podemos contar una novedad?",  # "tú" throughout, as the opt-out says
            "Una breve novedad para ti.",
            "¿Te contamos una buena noticia?",
        ),
        personal="Quisiste enterarte de nuestras novedades antes que nadie: aquí están.",
        helpful="¿Tienes preguntas? Responde a este mensaje.",
        cta_with_link=_links("Échale un vistazo: $url", "Más información: $url"),
        cta_reply="Responde a este mensaje si quieres saber más.",
        until=Template(" hasta el $date"),
        months=(
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ),
        day_format=Template("$day de $month"),
        opt_out="Para darte de baja, responde /stop.",
        neutral=(
            "Tenemos una novedad que puede serte útil.",
            "Hay algo nuevo que puede interesarte.",
            "Un mensaje breve con nuestras novedades.",
            "Queremos compartir contigo una pequeña novedad.",
            "Te contamos lo último de nuestro equipo.",
        ),
        offers=OfferWords(
            percent_off=Template("$n % de descuento"),
            up_to_percent_off=Template("hasta un $n % de descuento"),
            amount_off=Template("$money de descuento"),
            free_shipping="envío gratis",
            two_for_one="dos por uno",
            free_gift="un regalo con tu compra",
            special_offer="una oferta especial",
            joined_by=" y ",
            decimal_comma=True,
            money_first=False,
        ),
        quotes=("«", "»"),
    ),
    "pt": LanguageCopy(
        name="Português",
        greetings=_tones(
            "Olá, {first_name}!",
            "Oi, {first_name}! 👋",
            "Olá, {first_name},",
            "Olá, {first_name},",
            "Olá, {first_name}!",
        ),
        questions=_tones(
            "Tem um minuto?",
            "Adivinha o que há de novo?",
            "Podemos compartilhar uma novidade?",
            "Uma breve novidade para você.",
            "Que tal uma boa notícia?",
        ),
        personal="Você quis saber das nossas novidades primeiro: aqui estão.",
        helpful="Alguma dúvida? É só responder a esta mensagem.",
        cta_with_link=_links("Confira: $url", "Saiba mais: $url"),
        cta_reply="Responda a esta mensagem se quiser saber mais.",
        until=Template(" até $date"),
        months=(
            "janeiro",
            "fevereiro",
            "março",
            "abril",
            "maio",
            "junho",
            "julho",
            "agosto",
            "setembro",
            "outubro",
            "novembro",
            "dezembro",
        ),
        day_format=Template("$day de $month"),
        opt_out="Para cancelar a inscrição, responda /stop.",
        neutral=(
            "Temos uma novidade que pode ser útil para você.",
            "Há algo novo que pode interessar a você.",
            "Uma mensagem curta com as nossas novidades.",
            "Queremos compartilhar uma pequena novidade com você.",
            "Aqui está a última novidade da nossa equipe.",
        ),
        offers=OfferWords(
            percent_off=Template("$n% de desconto"),
            up_to_percent_off=Template("até $n% de desconto"),
            amount_off=Template("$money de desconto"),
            free_shipping="frete grátis",
            two_for_one="leve dois, pague um",
            free_gift="um brinde na sua compra",
            special_offer="uma oferta especial",
            joined_by=" e ",
            decimal_comma=True,
            money_first=False,
        ),
        quotes=("“", "”"),
    ),
}

# Each angle's layout: $greeting, $question, $personal, $headline, $helpful, $cta, $optout.
ANGLE_LAYOUTS: dict[str, Template] = {
    "direct": Template("$greeting\n$headline\n$cta\n\n$optout"),
    "question": Template("$greeting $question\n$headline\n$cta\n\n$optout"),
    "personal": Template("$greeting $personal\n$headline\n$cta\n\n$optout"),
    "short": Template("$headline $cta\n\n$optout"),
    "helpful": Template("$greeting\n$headline\n$helpful\n$cta\n\n$optout"),
}
ANGLE_RATIONALES: dict[str, str] = {
    "direct": "The control: the offer stated plainly, with one clear call to action.",
    "question": "Opens with a question to draw the reader in before the offer.",
    "personal": "Reminds the reader they chose to hear from us, which builds trust.",
    "short": "As short as possible: tests whether brevity beats a greeting.",
    "helpful": "Invites a reply, which tests conversation against a pure click.",
}


def language_of(tag: str | None) -> str | None:
    """Returns the supported language for a BCP 47 tag ("pt-BR" -> "pt"), or None."""
    if not tag:
        return None
    primary = tag.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in COPY else None

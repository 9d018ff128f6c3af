"""Word evidence for language ID: function words, letters and endings that tell close
neighbours apart (Hindi/Nepali/Marathi, the Romance languages, Indonesian/English,
Ukrainian/Russian, Arabic/Persian/Urdu) where the character model is unsure."""

from __future__ import annotations

import re
from collections.abc import Mapping

# A character n-gram model wavers between languages that share most of their letters, on
# short texts above all: Hindi and Nepali, Spanish and Portuguese, Indonesian and English.
# Their most frequent function words (and a few letters and endings no neighbour uses) tell
# them apart, so each one found multiplies the scores of the languages it belongs to by
# MARKER_BOOST before the scores are renormalised. A word of several languages (Spanish and
# Portuguese "para") boosts each of them: it still counts against the others. Only languages
# listed below take part: if a plausible language without a list has a real chance (more than
# UNLISTED_FLOOR), the evidence is not used, so that a configured look-alike (ca, ms, bg...)
# is never outvoted by its listed neighbour's words.

MARKER_BOOST = 3.0
WEAK_MARKER = 0.5  # a word frequent in one language and found in another ("o": pt, es "or")
UNLISTED_FLOOR = 0.01
# A model this sure is left alone: on the tuning data the evidence never overturned one,
# and skipping it for such texts (most texts) saves time.
MARKER_CONFIDENCE = 0.99
# Nepali and Marathi share Hindi's script and much of its formal vocabulary, and have far
# fewer writers: a Devanagari text showing none of their markers is more likely Hindi.
_PRIORS: dict[str, float] = {"ne": 0.3, "mr": 0.3}

# Frequent words, lowercase; an entry ending in an apostrophe is an elided prefix ("l'").
_MARKER_WORDS: dict[str, str] = {
    # Latin script
    "en": "the and of to is are was were be been with for this that these those you your "
    "not have has had will would can could should it its on at by from or as an if but all "
    "which who what when where there their they them we our us my me do does did than then no~ "
    "into about any some more also only just may might must here how why i come "
    "i'm don't can't it's doesn't isn't won't there's let's please thank thanks yes her his "
    "she he's they're we're you're",
    "fr": "le la les des du est et une un pour dans sur pas vous votre vos ce cette ces qui "
    "que avec au aux ne sont à il elle ils elles nous on mais ou où plus tout tous toute "
    "toutes très aussi comme peut doit été leur leurs sans sous chez entre depuis lorsque "
    "quand y en son sa ses notre cet ceci cela ça non oui merci veuillez avez êtes avons ont "
    "était fait faire être de l' d' n' qu' c' j' s' m' t' jusqu' lorsqu' puisqu' "
    "sera seront peuvent doivent avoir fichier fichiers aucun aucune chaque",
    "es": "el los las del y una un es son está están en con por para que su sus al lo le más "
    "muy pero como este esta estos estas ese esa eso hay ya también cuando donde dónde qué "
    "cómo cuál sin hasta desde sobre entre porque puede pueden tiene tienen ser fue ha han "
    "hemos usted ustedes nosotros yo nuestro nuestra cada todo todos otro otra otros solo "
    "nada algo aquí así gracias favor debe deben hacer uno dos de la nadie ni será no o~ "
    "archivo archivos nuevo nueva nombre nombres fecha ahora entonces todavía mucho poco "
    "bueno pequeño primero siguiente mismo cualquier ningún ninguna alguno alguna quién "
    "pregunta respuesta hola usuario usuarios contraseña guardar borrar cambiar cambios "
    "agregar añadir quitar elegir cerrar escribir leer recibir descargar tener hace error "
    "errores devuelve obtener crear mientras aún según datos estás pudo hacia clic haga "
    "utilice arriba abajo después desea quieres copia muestra correo enlace sitio ruta tarea "
    "búsqueda tamaño imagen imágenes trabajo línea botón esto eran puedo doy voy vas soy eres "
    "hecho dicho ayer hoy mañana allí ahí aunque sino pues tras años día días veces ciudad "
    "pueblo hombre mujer niño niños hijo hija escuela estudiante alumno clase lección "
    "ejercicio dinero salud gobierno ley derecho derechos ejemplo calle puerta ventana "
    "palabra servicio proyecto desarrollo equipo precio cuenta dirección carpeta pantalla "
    "ratón contenido ajustes ayuda inicio salida necesito necesita necesitan llegar llamar "
    "volver vuelve salir poner pensar creo cree conocer trabajar jugar dejar empezar comenzar "
    "enseñar estudiar preguntar ayudar familia informe árbol árboles predeterminado "
    "predeterminados historial convertir borde",
    "pt": "os as do dos das um uma é e em na nas ao à aos pelo pela pelos pelas com não que seu "
    "sua seus suas você vocês mais muito muita também já há até sem quando onde isso isto "
    "ele ela eles elas nós foi foram são está estão tem têm teve pode podem deve devem ser "
    "estar ou mas esse essa esses essas este esta estas aqui então porque sobre como cada "
    "todo todos obrigado obrigada sim nenhum nenhuma algum alguma ainda depois mesmo desde "
    "entre para sempre nada algo favor de da será serão no~ o arquivo arquivos novo nova "
    "nome nomes data agora muitos muitas pouco bom boa pequeno primeiro seguinte qualquer "
    "quem pergunta resposta olá usuário usuários utilizador senha salvar excluir apagar "
    "alterar alterações adicionar selecionar selecione selecionado selecionada escolher "
    "fechar escrever ler receber baixar ter faz erro erros retorna obter criar enquanto "
    "segundo outro outra outros num numa dum duma dados mostra possível impossível clique "
    "ficheiro certeza informações informação imagem imagens versão trabalho deseja linha "
    "após desconhecido próprio procurar opções opção endereço botão só exibição tamanho "
    "caminho exemplo ferramenta permissão duas itens quer cor regra objecto objectos pesquisar "
    "pesquisa sobrenome sobrenomes apelido largura preto branco estou tenho tinha posso "
    "faço fazem fazer feito diz dizem dizer vou vai vamos vão vem dá dão sei sabem preciso "
    "precisa precisam chegar chamar voltar sair acho conhecer trabalhar jogar deixar começar "
    "mudar ensinar estudar perguntar ajudar hoje amanhã ontem ali aí lá tão quais além porém "
    "embora pois quase ano anos dias mês vezes coisa coisas cidade povo homem mulher criança "
    "crianças filho filha pai mãe família escola professora estudante aluno alunos turma "
    "lição tarefa exame exercício dinheiro água saúde governo direito direitos rua porta "
    "janela palavra língua serviço projeto desenvolvimento equipe equipa preço conta "
    "correio ecrã rato conteúdo ajuda início saída",
    "it": "il lo gli la le di del della delle dei degli dello è e un una uno per in con non "
    "che sono questo questa questi queste quello quella al alla allo ai agli nel nella nello "
    "nei negli dal dalla dai sul sulla più anche come ma ci ne essere stato stata ha hanno "
    "può possono deve devono molto tutti tutte tutto ogni quando dove perché cosa tra fra già "
    "ancora sempre solo qui grazie sì suo sua suoi sue loro mio mia nostro nostra tuo tua "
    "i da mai no~ o~ crea mostra governo porta conta vai familia dell' nell' all' dall' sull' "
    "un' l' c' c'è",
    "id": "yang dan di ke dari ini itu untuk dengan tidak akan ada anda apa bisa dapat juga "
    "atau saya kami kita mereka sudah belum pada oleh dalam harus adalah telah sebagai "
    "karena jika kalau agar bahwa lebih sangat semua setiap tersebut secara hanya masih "
    "sedang bagaimana mengapa kapan siapa tetapi namun serta baru sama hal silakan tolong "
    "terima kasih sini bukan pun lagi saat bagi antara hingga sampai lain",
    "tl": "ang ng mga sa at ay ito hindi para ko mo siya niya ka kung may mayroon wala nang "
    "lang din rin po ba naman kasi pero ni nila namin natin ako ikaw kami tayo sila iyon "
    "iyan dito doon lahat isang iba pang upang ngunit dahil kaya maaari kita lagi o~ na",
    "sw": "ya wa kwa ni za katika hii kuwa hiyo cha vya ili kama lakini au pia sana hapa huo "
    "hayo yake wake zao yetu wetu yangu wangu nini gani hakuna kuna bado sasa kila zote wote "
    "yote hizi hilo ambayo ambao ambapo kwamba pamoja baada kabla bila zaidi si na",
    "ha": "da ta ya ka ko don wannan wancan su shi ita kuma amma cikin zuwa daga akan game "
    "sun suka mun muka kuna kun ina yana tana muna suna wani wata wasu duk sai idan domin "
    "saboda lokacin yadda abin abubuwa mai masu kan ne ce nan can haka kawai har tun ga "
    "babu kowane ba na",
    "de": "der die das und ist nicht mit für von zu den dem des ein eine einen einem einer "
    "sie es ich wir ihr auf an aus bei nach um sich auch noch nur wie wenn dass oder aber "
    "werden wird wurde sind hat haben kann können muss sein im am vom zum zur diese dieser "
    "dieses bitte danke ja nein in so er als da du nie ihre",
    "nl": "de het een van en is dat niet op met voor zijn er aan ook als bij of door naar om "
    "uit maar dan nog wel geen je we wij ze hij deze dit die wordt worden kan kunnen moet "
    "heeft hebben was al in men",
    "pl": "i w z do nie się to jest że co jak ale od po za dla przez jako tak już może są "
    "być był była było czy lub oraz tylko też bardzo ten ta tego tej który która które "
    "jego jej ich ja my on ona we ze ani na",
    "cs": "je v ve z ze s k do to že co jak ale od po pro za jsou jsem jsme byl byla bylo "
    "není jako tak už může má mají který která které také nebo i ani když jen pouze bude "
    "tento tato toto tyto jeho její jejich ten ta on ona na",
    "hu": "az egy és hogy nem is van volt lesz meg csak már még mint vagy ez ezt azt ami amely "
    "amikor minden nincs kell lehet ezek azok kérem",
    "sv": "och att det som en är på för med har inte till av den jag du vi ett om kan var men "
    "så eller från när hur vad sig alla ska skulle måste finns detta denna dessa inga ingen "
    "också bara ja",
    "ro": "și si în in este de cu nu pe să sa care un o din ale al sunt fi pentru mai ca ce "
    "acest această aceasta acesta sau dar cum dacă daca când cand unde foarte poate trebuie "
    "toate toți doar prin după fără",
    "tr": "ve bir bu için ile da de çok daha olarak gibi ne mı mi mu mü değil var yok olan "
    "ama veya her şey sonra önce kadar nasıl neden ki şu lütfen tüm ise ancak ya",
    "vi": "của và là các những được cho với không có này trong một người để đã sẽ thì khi từ "
    "bạn tôi chúng đó cũng như nhưng hoặc nếu vào ra về theo tại",
    "so": "iyo oo ka ku waa ah aan ee uu ay ayaa wax waxaa kale laga lagu ama haddii sida "
    "sidoo laakiin maxaa halkan kuwa",
    # Devanagari
    "hi": "है हैं था थे थी थीं का की के में से और नहीं यह वह ये वे कि पर लिए किया किये किए करें "
    "करना करने करता करती करते जाता जाती जाते रहा रही रहे भी तो ही इस उस इन उन आप अपने अपना "
    "अपनी गया गई गए होगा होगी होंगे सकता सकती सकते चाहिए हुआ हुई हुए वाला वाली वाले कोई कुछ "
    "क्या कैसे क्यों कहाँ जब तब अगर लेकिन या साथ बाद पहले यहाँ वहाँ मैं हम तुम मुझे हमें उसे "
    "इसे दें लें जाएगा जाएँ गयी हूँ एवं किसी सभी को हो उसको इसको आपको किसको सबको जिसको "
    "जिनको तुमको मुझको हमको तुझको किसीको इनको उनको ने",
    "ne": "छ छन् छैन छैनन् थियो थिए मा र लाई बाट देखि सँग संग भन्दा गर्न गर्नु गर्नुहोस् "
    "गर्नुहोस गर्ने गरेको गरिएको गरिने गरी गरेर हुन्छ हुन्छन् हुँदैन हुने हुनुहुन्छ भएको भए "
    "भयो भने भन्ने यो त्यो यी ती पनि लागि कुनै केही सबै मात्र तपाईं तपाईँ तपाई तपाईंको "
    "तपाईंले हामी हाम्रो म मेरो उनी उनको यस त्यस नै अनि तर वा जस्तै जुन जहाँ कसरी किन "
    "सक्नुहुन्छ सकिँदैन सकिएन दिनुहोस् नयाँ एउटा अहिले पहिले गर्दै रहेको रहेका भएका गरेका के "
    "को हो सम्म गयो आयो सकियो गर्यो पर्यो रह्यो",
    "mr": "आहे आहेत नाही नाहीत आणि मध्ये करा केले केला केली होते होता होती असे असेल असा अशी "
    "हे हा साठी वर पण तुम्ही तुमच्या तुमचे तुमची आम्ही आमच्या करू शकत शकता शकते नका झाले "
    "झाला गेले गेला असलेल्या करण्यासाठी करण्यात केलेल्या त्या ते कसे काय कोणते कोणत्याही "
    "सर्व येथे जे म्हणून किंवा नंतर पुन्हा निवडा तर वा तो ही या की जो कधी होईल तुमचा आमचा "
    "माझा माझी माझे मला तुम्हाला आम्हाला त्याला तिला आहोत आहेस होणार करणार काही कोण कुठे नको "
    "हवी हवा हवे म्हणजे आता खूप",
    # Cyrillic
    "ru": "и в не на что как это для от или но при ли этот эта эти его её их будет может уже "
    "также только очень все вы мы он она они быть был была было до с со у к чтобы когда где "
    "поэтому который которая которое которые нет да вам вас нас меня тебя себя сейчас здесь "
    "ещё еще хорошо нужно можно надо него неё каждый каждая каждое каждого добавить удалить "
    "сохранить изменить создать показать открыть закрыть",
    "uk": "і й та на що як це не для від або але при чи цей ця ці його її їх буде може вже "
    "також тільки дуже усі всі ви ми він вона вони бути є був була було до з із зі у в щоб "
    "коли де тому який яка яке які немає так вам вас нас мене себе зараз тут ще добре "
    "потрібно можна треба нього неї кожен кожна кожне кожного кожної кожній додати видалити "
    "зберегти змінити створити показати відкрити закрити",
    # Arabic script
    "ar": "في من على إلى الى عن أن ان هذا هذه التي الذي الذين لا ما هل لم لن كان كانت هو هي "
    "مع بين عند كل قد ثم أو او لكن يمكن و",
    "fa": "و در به از که این را با است برای آن می یک شود نمی هم تا اگر یا بر شده باید هست "
    "نیست کنید کرد کند شما ما آنها من او نه هستم هستی هستند هستیم",
    "ur": "کے کی کا میں ہے ہیں اور سے کو نہیں یہ وہ پر بھی کہ ہو گا گی گے تھا تھے تھی آپ ہم "
    "کیا کر کریں جو اگر یا",
    "ps": "د په او چې له دا ته هم کې یې دی ده وي شي نه یو سره تاسو موږ",
}  # fmt: skip

# Letters that only these languages use among their script's candidates (each word that
# holds one counts), then word endings. A listed word is judged by the lists alone, not by
# its ending: Hindi "उसको" is not Nepali "-को".
_MARKER_LETTERS: dict[str, str] = {
    "іїєґ": "uk", "ыэъё": "ru",
    "ळ": "mr", "\u093c\u0958\u0959\u095a\u095b\u095c\u095d\u095e\u095f": "hi",  # nukta
    "ة": "ar",  # not ي or ك: Persian typed on an Arabic keyboard has those too
    "یکپچگ": "fa ur ps", "ژ": "fa ps", "ٹڈڑںےھہ": "ur", "ټډړږښګڼېۍ": "ps",
    "ñ": "es", "ãõ": "pt vi", "ç": "fr pt tr", "œû": "fr", "êô": "fr pt vi", "à": "fr it pt vi",
    "è": "fr it vi", "ìò": "it vi", "ù": "fr it vi", "ă": "ro vi", "â": "fr pt ro tr vi",
    "î": "ro fr", "șțţ": "ro", "ş": "tr ro", "ğı": "tr", "łąęśźżćń": "pl", "řěůňťďčšž": "cs",
    "őű": "hu", "ß": "de", "å": "sv", "ä": "de sv", "ö": "de sv hu tr", "ü": "de hu tr",
    "đơư": "vi", "ɗɓƙƴ": "ha",
}  # fmt: skip
_MARKER_ENDINGS: dict[str, str] = {
    # Devanagari: Nepali attaches its postpositions and conjugates in -छ; Hindi plurals
    # and polite imperatives end in -ें -ों -एं; Marathi attaches -च्या -साठी -मध्ये.
    "हरू": "ne", "हरु": "ne", "लाई": "ne", "नुहोस्": "ne", "नुहोस": "ne", "छन्": "ne",
    "दैन": "ne", "ेको": "ne", "्छ": "ne", "ँछ": "ne", "को": "ne", "बाट": "ne", "सम्म": "ne",
    "ें": "hi", "ों": "hi", "एं": "hi", "एँ": "hi",
    "च्या": "mr", "ांना": "mr", "ाची": "mr", "ाचा": "mr", "ाचे": "mr", "मध्ये": "mr",
    "साठी": "mr", "ल्या": "mr", "ण्यात": "mr", "ण्याची": "mr", "ांची": "mr", "ांचा": "mr",
    "ांचे": "mr", "ांच्या": "mr", "ईल": "mr", "णार": "mr",
    # Latin
    "ée": "fr", "ées": "fr", "eux": "fr", "eau": "fr", "eaux": "fr", "tion": "fr en",
    "tions": "fr en", "ção": "pt", "ções": "pt", "ão": "pt", "ões": "pt", "ável": "pt",
    "ível": "pt", "agem": "pt", "dade": "pt", "ción": "es", "ciones": "es", "dad": "es",
    "aje": "es", "ía": "es", "ías": "es", "ón": "es", "encia": "es", "encias": "es",
    "ancia": "es", "ancias": "es", "ência": "pt", "ências": "pt", "ância": "pt", "âncias": "pt",
    "eiro": "pt", "eira": "pt", "eiros": "pt", "eiras": "pt", "ero": "es it", "zione": "it",
    # Spanish adverbs keep the adjective's accent (rápidamente), Portuguese ones drop it
    # (rapidamente); Portuguese -ório where Spanish writes -orio.
    "ámente": "es", "émente": "es", "ímente": "es", "ómente": "es", "úmente": "es",
    "ório": "pt", "ória": "pt", "órios": "pt", "órias": "pt",
    "zioni": "it", "ità": "it", "ului": "ro", "ilor": "ro", "ție": "ro", "ții": "ro", "ția": "ro",
    "ing": "en", "ed": "en", "less": "en", "ful": "en", "ship": "en", "ness": "en", "ly": "en",
    "kan": "id", "nya": "id", "ung": "de", "ungen": "de",
    "keit": "de", "heit": "de", "lich": "de", "heid": "nl", "lijk": "nl", "lijke": "nl",
    # Cyrillic: Ukrainian -ння where Russian writes -ние -ния
    "ння": "uk", "нню": "uk", "нням": "uk", "ние": "ru", "ния": "ru", "нию": "ru", "нием": "ru",
    "ость": "ru",
}  # fmt: skip

# Letter groups inside a word, found by a pattern once its literal part is in the text; a
# language after "-" is one the group speaks against (no Portuguese word holds "ll").
_MARKER_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("lh", "lh", "pt"),
    ("nh", "nh", "pt vi"),
    ("ll", "ll", "-pt"),
    # Spanish diphthong ue inside a word (puede, nuevo, cuenta, fuente), not que/gue
    ("ue", r"(?<![qg])ue[bcdfghjklmnprstvz][aeiouáéíóú]", "es"),
)


APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})
# A word: letters, and the combining marks that belong inside one (Indic vowel signs, Arabic
# harakat, decomposed accents), with apostrophes inside ("l'exposition", "don't").
TOKEN = re.compile(
    r"[^\W\d_](?:[^\W\d_]|[\u0300-\u036f\u064b-\u065f\u0670\u0900-\u0963\u0966-\u0dff"
    r"\u200c\u200d'])*"
)


def _marker_tables() -> tuple[
    dict[str, dict[str, float]], dict[str, frozenset[str]], dict[str, dict[str, float]]
]:
    words: dict[str, dict[str, float]] = {}
    for language, listed in _MARKER_WORDS.items():
        for word in listed.split():
            weak = word.endswith("~")
            words.setdefault(word.rstrip("~"), {})[language] = WEAK_MARKER if weak else 1.0
    letters = {
        letter: frozenset(languages.split())
        for group, languages in _MARKER_LETTERS.items()
        for letter in group
    }
    endings = {
        ending: dict.fromkeys(languages.split(), 1.0)
        for ending, languages in _MARKER_ENDINGS.items()
    }
    return words, letters, endings


_WORD_WEIGHTS, _LETTER_LANGUAGES, _ENDING_WEIGHTS = _marker_tables()
_PATTERNS: tuple[tuple[str, re.Pattern[str], dict[str, float]], ...] = tuple(
    (
        literal,
        re.compile(pattern),
        {lang.lstrip("-"): -1.0 if lang.startswith("-") else 1.0 for lang in langs.split()},
    )
    for literal, pattern, langs in _MARKER_PATTERNS
)
_MARKER_LETTER_SET = frozenset(_LETTER_LANGUAGES)
_ENDINGS = tuple(sorted(_ENDING_WEIGHTS, key=len, reverse=True))
LISTED_LANGUAGES: frozenset[str] = frozenset(_MARKER_WORDS)


def marker_counts(text: str, *, words: bool = True) -> dict[str, float]:
    """For each language, how many words of `text` carry one of its markers (a word, an
    elided prefix, a letter or an ending): at most one per word and language, a weak marker
    word (listed with "~") counting WEAK_MARKER. Without `words`, letters, endings and
    letter groups only."""
    counts: dict[str, float] = {}
    text = text.lower().translate(APOSTROPHES)
    letters = _MARKER_LETTER_SET.intersection(text)
    patterns = [(pattern, weights) for literal, pattern, weights in _PATTERNS if literal in text]
    for token in TOKEN.findall(text):
        found = _WORD_WEIGHTS.get(token) if words else None
        if found is None:
            if "'" in token:
                found = _WORD_WEIGHTS.get(token[: token.index("'") + 1])
            elif token.endswith(_ENDINGS):
                ending = next(end for end in _ENDINGS if token.endswith(end))  # the longest
                if len(token) > len(ending):
                    found = _ENDING_WEIGHTS[ending]
        if letters and not letters.isdisjoint(token):
            found = dict(found or {})
            for letter in letters.intersection(token):
                found.update(dict.fromkeys(_LETTER_LANGUAGES[letter], 1.0))
        for pattern, weights in patterns:
            if pattern.search(token):
                found = {**(found or {}), **weights}
        if found:
            for language, weight in found.items():
                counts[language] = counts.get(language, 0.0) + weight
    return counts


def apply_markers(scores: Mapping[str, float], text: str) -> dict[str, float]:
    """Scores after the word evidence and the priors (see above), renormalised; unchanged
    where they cannot be used."""
    if (
        len(scores) < 2
        or max(scores.values()) >= MARKER_CONFIDENCE
        or any(
            language not in LISTED_LANGUAGES and score > UNLISTED_FLOOR
            for language, score in scores.items()
        )
    ):
        return dict(scores)
    counts = marker_counts(text)
    found = {language: counts.get(language, 0.0) for language in scores}
    top = max(found.values())
    # Relative to the best-marked language, so that the factors stay small numbers.
    weighted = {
        language: score
        * MARKER_BOOST ** (found[language] - top)
        * (_PRIORS.get(language, 1.0) if found[language] == 0 else 1.0)
        for language, score in scores.items()
    }
    total = sum(weighted.values())
    return {language: s / total for language, s in weighted.items()} if total else dict(scores)

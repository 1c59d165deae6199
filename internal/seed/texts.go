package seed

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/guichet/guichet/internal/guichet"
)

// Subjects are what the clients of a property-management software vendor
// write about: its accounting, rent and co-ownership features, and, for
// the "travaux" procedure, the buildings themselves.
var (
	features = []string{
		"l'export FEC", "les quittances", "les avis d'échéance", "le rapprochement bancaire",
		"la régularisation des charges", "les appels de fonds", "le grand livre", "la balance générale",
		"les relances locataires", "les prélèvements SEPA", "la révision des loyers", "les décomptes de charges",
		"les états des lieux", "la déclaration 2072", "les mandats de gestion", "la signature électronique",
		"le portail locataire", "l'import des relevés bancaires", "les comptes rendus de gérance",
		"l'édition des baux", "la clôture mensuelle", "les honoraires de gestion", "le budget prévisionnel",
		"les convocations d'assemblée générale", "le lettrage automatique", "la répartition des charges",
		"les factures fournisseurs", "l'export comptable", "le tableau de bord", "la recherche de lots",
		"les dépôts de garantie", "l'indexation IRL", "les écritures de TVA", "le fichier des copropriétaires",
	}
	bugSubjects = []string{
		"Erreur sur %s", "Impossible d'ouvrir %s", "Plantage sur %s depuis la %s", "Montants incorrects dans %s",
		"Erreur 500 sur %s", "Problème d'affichage sur %s", "Lenteurs importantes sur %s", "Doublons dans %s",
		"Message d'erreur en générant %s", "Écran blanc sur %s après la mise à jour %s",
	}
	accountingTopics = []string{
		"le lettrage du compte 411", "la TVA sur les honoraires", "la clôture de l'exercice 2025",
		"l'écriture de régularisation", "le compte d'attente 471", "les provisions pour charges",
		"l'affectation d'un règlement", "la ventilation des charges", "le report à nouveau",
		"les écritures d'extourne", "le solde du compte propriétaire", "la déclaration des revenus fonciers",
		"le fonds de travaux", "les charges récupérables", "l'arrêté des comptes",
	}
	accountingSubjects = []string{"Question sur %s", "Comment traiter %s ?", "Besoin d'aide pour %s", "Précision sur %s"}
	howTos             = []string{
		"paramétrer les relances automatiques", "ajouter un copropriétaire", "modifier le modèle de quittance",
		"importer les relevés bancaires", "créer un nouvel utilisateur", "archiver un mandat",
		"fusionner deux fiches locataire", "envoyer les avis par courriel", "exporter la liste des lots",
		"activer la signature électronique", "saisir un dépôt de garantie", "programmer un prélèvement",
		"dupliquer un bail", "changer le taux de TVA", "personnaliser le tableau de bord",
	}
	featureSubjects = []string{"Comment %s ?", "Est-il possible de %s ?", "Aide pour %s", "Question : %s"}
	requests        = []string{
		"duplicata de facture", "attestation de loyer", "relevé de compte", "changement d'adresse",
		"modification de RIB", "résiliation de contrat", "accès pour un nouveau collaborateur", "copie du bail",
		"remboursement du dépôt de garantie", "mise à jour des coordonnées", "facture acquittée",
		"formation utilisateur", "licence supplémentaire",
	}
	routineSubjects = []string{"Demande de %s", "Relance : demande de %s", "Demande de %s pour le lot %d"}
	breakdowns      = []string{
		"Fuite d'eau", "Chaudière en panne", "Volet roulant bloqué", "Infiltration", "Interphone hors service",
		"Porte de garage bloquée", "Ascenseur en panne", "Dégât des eaux", "Panne d'électricité", "Moisissures",
	}
	places = []string{
		"au 3e étage", "dans la cage d'escalier", "dans la salle de bains", "bâtiment B", "dans la cuisine",
		"au sous-sol", "appartement 12", "au parking", "résidence Les Tilleuls", "rue de la République",
	}
	versions = []string{"4.2", "4.2.1", "4.3", "4.3.2", "5.0"}
)

// Description parts: greeting, sentences by category, closing, signature.
var (
	greetings    = []string{"Bonjour,", "Bonjour Madame, Monsieur,", "Madame, Monsieur,", "Bonjour à tous,", "Bonjour Sébastien,"}
	bugSentences = []string{
		"Depuis la mise à jour %[2]s, nous avons un message d'erreur sur %[1]s.",
		"Le traitement reste bloqué à 80 %% quand nous lançons %[1]s.",
		"Nous constatons un écart de quelques euros dans %[1]s par rapport au mois dernier.",
		"Le problème touche plusieurs dossiers, sur tous les postes.",
		"Vous trouverez une capture d'écran en pièce jointe.",
		"C'est bloquant pour la clôture du mois.",
		"Nous avons déjà redémarré le poste et vidé le cache du navigateur, sans succès.",
		"Le message indique « erreur inattendue, veuillez réessayer ».",
	}
	accountingSentences = []string{
		"Notre expert-comptable nous demande comment vous traitez %[1]s.",
		"Pouvez-vous nous indiquer la marche à suivre pour %[1]s ?",
		"Les montants ne correspondent pas à ceux de la banque.",
		"Nous devons transmettre les éléments avant la fin du mois.",
		"Faut-il passer une écriture manuelle ou le logiciel s'en charge-t-il ?",
	}
	featureSentences = []string{
		"Je ne trouve pas dans la documentation comment %[1]s.",
		"Une collègue arrive lundi et devra %[1]s.",
		"Le menu Paramètres ne propose pas cette option.",
		"Existe-t-il un tutoriel ou une vidéo ?",
	}
	routineSentences = []string{
		"Pourriez-vous nous faire parvenir ce document rapidement ?",
		"Il s'agit du dossier de Mme Lefèvre.",
		"Le document est demandé par la banque.",
		"Merci de l'envoyer à l'adresse habituelle.",
	}
	worksSentences = []string{
		"Le locataire nous signale le problème depuis hier soir.",
		"Une intervention rapide serait nécessaire.",
		"Le plombier est déjà passé l'an dernier pour le même souci.",
		"Merci de prévenir le gardien avant le passage de l'artisan.",
	}
	phoneNotes = []string{"Appel de %s :", "Message de %s au standard :", "%s a appelé :"}
	closings   = []string{"Cordialement,", "Bien cordialement,", "Merci d'avance,", "Bonne journée,", "Merci pour votre aide."}
	signatures = []string{
		"Mélanie Loubet", "Éric Ngô", "Hélène Lefèvre", "Jérôme Dupont", "Françoise Martin", "Loïc Bernard",
		"Anaïs Moreau", "Chloé Girard", "Benoît Mercier", "Cécile Faure", "Gaëlle Rousseau", "Stéphane Guérin",
		"Thérèse Perrin", "Aïcha Diallo", "Raphaël Chevalier", "Océane Leroux",
	}
	offices = []string{"Cabinet Martin", "Agence du Centre", "Syndic Bellecour", "Gestion Rhône Immobilier", "Foncia Est", "Immo Conseil"}
)

// Ticket is the generated part of a ticket: what a client or an agent
// would type.
type Ticket struct {
	Subject, Description string
	Channel              guichet.Channel
	Category             guichet.Category
	Urgency              guichet.Urgency
	FileReference        string
}

// Categories are the categories Generator picks from by default, with
// their shares in percent: the assistance procedure's, and requests for
// works (the "travaux" procedure).
var Categories = []guichet.Category{guichet.CategoryBugReport, guichet.CategoryAccountingQuestion,
	guichet.CategoryFeatureQuestion, guichet.CategoryRoutineRequest, guichet.CategoryWorksRequest}

var categoryShares = map[guichet.Category]int{guichet.CategoryBugReport: 30, guichet.CategoryAccountingQuestion: 20,
	guichet.CategoryFeatureQuestion: 25, guichet.CategoryRoutineRequest: 20, guichet.CategoryWorksRequest: 5}

// Generator makes plausible tickets, deterministically from its seed. It
// is not safe for concurrent use: give each goroutine its own.
type Generator struct {
	rng        *rand.Rand
	categories []guichet.Category
	weights    []int // cumulative shares of categories
}

// NewGenerator returns a generator of tickets of the given categories
// (Categories when none), in the shares of categoryShares (equal shares
// for the others).
func NewGenerator(seed uint64, categories ...guichet.Category) *Generator {
	if len(categories) == 0 {
		categories = Categories
	}
	g := &Generator{rng: rand.New(rand.NewPCG(seed, 0x5eed)), categories: categories}
	total := 0
	for _, c := range categories {
		share, ok := categoryShares[c]
		if !ok {
			share = 10
		}
		total += share
		g.weights = append(g.weights, total)
	}
	return g
}

// Rand returns the generator's source, for the caller's own draws.
func (g *Generator) Rand() *rand.Rand { return g.rng }

func (g *Generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// Next returns a new ticket: about 60 % by email, 25 % by phone, 15 % by
// letter; a third with a file reference.
func (g *Generator) Next() Ticket {
	i := g.rng.IntN(g.weights[len(g.weights)-1])
	cat := g.categories[0]
	for j, w := range g.weights {
		if i < w {
			cat = g.categories[j]
			break
		}
	}
	return g.NextOf(cat)
}

// NextOf returns a new ticket of the category.
func (g *Generator) NextOf(cat guichet.Category) Ticket {
	t := Ticket{Category: cat, Channel: guichet.ChannelEmail, Urgency: guichet.UrgencyNormal}
	switch n := g.rng.IntN(100); {
	case n < 25:
		t.Channel = guichet.ChannelPhone
	case n < 40:
		t.Channel = guichet.ChannelLetter
	}
	switch n := g.rng.IntN(100); {
	case n < 10:
		t.Urgency = guichet.UrgencyLow
	case n < 25:
		t.Urgency = guichet.UrgencyHigh
	case n < 30:
		t.Urgency = guichet.UrgencyCritical
	}
	topic := ""
	t.Subject, topic = g.subject(cat)
	t.Description = g.description(cat, t.Channel, topic)
	if g.rng.IntN(3) == 0 {
		t.FileReference = fmt.Sprintf("DOS-2026-%04d", g.rng.IntN(10000))
	}
	return t
}

// subject returns a subject of the category and the topic it names.
func (g *Generator) subject(cat guichet.Category) (subject, topic string) {
	switch cat {
	case guichet.CategoryBugReport, guichet.CategoryEvolution:
		topic = g.pick(features)
		tpl := g.pick(bugSubjects)
		if strings.Count(tpl, "%s") == 2 {
			return capitalise(fmt.Sprintf(tpl, topic, g.pick(versions))), topic
		}
		return capitalise(fmt.Sprintf(tpl, topic)), topic
	case guichet.CategoryAccountingQuestion:
		topic = g.pick(accountingTopics)
		return fmt.Sprintf(g.pick(accountingSubjects), topic), topic
	case guichet.CategoryFeatureQuestion:
		topic = g.pick(howTos)
		return fmt.Sprintf(g.pick(featureSubjects), topic), topic
	case guichet.CategoryWorksRequest:
		return g.pick(breakdowns) + " " + g.pick(places), ""
	}
	topic = g.pick(requests)
	tpl := g.pick(routineSubjects)
	if strings.Contains(tpl, "%d") {
		return fmt.Sprintf(tpl, topic, 1+g.rng.IntN(400)), topic
	}
	return fmt.Sprintf(tpl, topic), topic
}

// description returns a message as a client writes it (greeting, two or
// three sentences, closing, signature), or an agent's note of a call.
func (g *Generator) description(cat guichet.Category, ch guichet.Channel, topic string) string {
	var sentences []string
	switch cat {
	case guichet.CategoryBugReport, guichet.CategoryEvolution:
		sentences = bugSentences
	case guichet.CategoryAccountingQuestion:
		sentences = accountingSentences
	case guichet.CategoryFeatureQuestion:
		sentences = featureSentences
	case guichet.CategoryWorksRequest:
		sentences = worksSentences
	default:
		sentences = routineSentences
	}
	var b strings.Builder
	who := g.pick(signatures)
	if ch == guichet.ChannelPhone {
		fmt.Fprintf(&b, g.pick(phoneNotes)+" ", who+" ("+g.pick(offices)+")")
	} else {
		b.WriteString(g.pick(greetings) + "\n\n")
	}
	for _, i := range g.rng.Perm(len(sentences))[:2+g.rng.IntN(2)] {
		s := sentences[i]
		if strings.Contains(s, "%[1]s") {
			s = fmt.Sprintf(s, topic, g.pick(versions))
		}
		b.WriteString(s)
		b.WriteByte(' ')
	}
	if ch == guichet.ChannelPhone {
		return strings.TrimSpace(b.String())
	}
	fmt.Fprintf(&b, "\n\n%s\n%s\n%s", g.pick(closings), who, g.pick(offices))
	return b.String()
}

// capitalise upper-cases the first letter of s ("l'export" gives
// "L'export").
func capitalise(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

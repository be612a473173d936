"""Writes ``matching_set.json``: 30 policy questions and 300 expert profiles, judged by hand.

Each question has five relevant experts, described in other words than the question's ("loneliness among
older people" against "social isolation in later life"); two of them carry the question's topic, as an
organiser tagging a network would. Each question also has two traps: experts who share a word of the
question but not its meaning ("older buildings"). Ten themes nobody asks about fill the network. Relevance
is the theme an expert was written for: every phrasing below was read against its question.

Run ``python tests/programmes/data/make_matching_set.py`` to write the file again (deterministic).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

# (question, topic, discipline, five relevant expertises, two traps as (discipline, expertise))
# fmt: off
ASKED = [
    ("How can we reduce loneliness among older people?", "Ageing", "Gerontology", [
        "social isolation in later life", "befriending schemes for pensioners living alone",
        "intergenerational community programmes for the elderly",
        "the wellbeing of retirees and the effects of solitude on health",
        "day centres and social prescribing for the over-seventies"],
     [("Architecture", "conservation of older buildings and heritage sites"),
      ("Management", "workforce analytics for reducing staff costs in large firms")]),
    ("What would make it easier for small firms to export after leaving the EU?", "Trade policy", "Economics", [
        "customs procedures and border frictions for SMEs", "international trade barriers facing micro-businesses",
        "rules of origin and tariff arrangements since Brexit",
        "overseas market entry for start-ups and family businesses",
        "trade facilitation and the cost of paperwork at the border"],
     [("Zoology", "small mammals in farmland ecology"),
      ("Social work", "young people leaving foster care")]),
    ("How should self-driving cars be regulated?", "Transport", "Engineering", [
        "safety assurance of autonomous vehicles", "liability law for driverless road vehicles",
        "automated driving systems and type approval", "human factors in vehicle automation and handover",
        "insurance models for connected and automated mobility"],
     [("Psychiatry", "self-harm prevention in adolescents"),
      ("Law", "regulated professions and medical licensing")]),
    ("How can we cut hospital waiting lists?", "Public health", "Health services research", [
        "elective surgery backlogs in the NHS", "patient flow and bed capacity in acute trusts",
        "referral-to-treatment times and operational research in healthcare",
        "demand management for outpatient appointments", "workforce planning for surgeons and theatre staff"],
     [("Aviation", "queues and waiting times at airport security"),
      ("Tourism", "employment in the hospitality industry")]),
    ("What drives vaccine hesitancy and how can uptake be improved?", "Public health", "Epidemiology", [
        "trust in immunisation programmes", "misinformation about jabs on social media",
        "parents' decisions about childhood inoculation", "behavioural nudges to raise coverage of flu shots",
        "community engagement on immunisation in underserved groups"],
     [("Animal behaviour", "drives and motivation in foraging animals"),
      ("Plant science", "improved crop varieties for dry climates")]),
    ("How can homes be heated without fossil fuels?", "Net zero", "Energy", [
        "heat pumps and domestic retrofit", "low-carbon district heating networks",
        "hydrogen boilers and decarbonising residential warmth",
        "insulation and the energy efficiency of the housing stock", "electrification of space heating in dwellings"],
     [("Palaeontology", "the fossil record of early mammals"),
      ("Politics", "heated debates and rhetoric in parliament")]),
    ("How do we stop young people being drawn into knife crime?", "Justice", "Criminology", [
        "youth violence prevention and violence reduction units", "adolescents carrying bladed weapons",
        "gang involvement and county lines exploitation of teenagers",
        "public health approaches to violence among under-18s", "school exclusion and pathways into offending"],
     [("Politics", "knife-edge elections and voting behaviour"),
      ("English literature", "crime fiction and popular culture")]),
    ("How can farmers be paid to restore nature?", "Agriculture", "Land economy", [
        "agri-environment schemes and payments for ecosystem services",
        "land managers' incentives for habitat creation", "environmental land management and rewilding on farmland",
        "biodiversity net gain markets in rural areas", "hedgerows, wetlands and wildlife-friendly farm subsidies"],
     [("Penology", "campaigns to restore the voting rights of prisoners"),
      ("Philosophy", "the nature of consciousness")]),
    ("What should schools do about pupils' mobile phone use?", "Education", "Education", [
        "smartphones and attention in classrooms", "children's screen time and wellbeing",
        "bans on digital devices in secondary education", "adolescents' social media habits and learning",
        "technology rules in academies and their effect on attainment"],
     [("Telecommunications", "mobile phone networks and 5G spectrum auctions"),
      ("Biology", "collective motion in a school of fish")]),
    ("How can the benefits system support people with fluctuating illnesses?", "Welfare", "Social policy", [
        "disability assessments for chronic conditions such as ME and MS",
        "work capability assessment and variable health", "universal credit for claimants with long-term conditions",
        "social security for those whose symptoms come and go",
        "employment help for workers with episodic disability"],
     [("Transport economics", "cost-benefit analysis of road schemes"),
      ("Statistics", "support vector machines and statistical learning")]),
    ("How can we protect critical national infrastructure from cyber attacks?", "Cyber security", "Computer science", [
        "resilience of power grids against hacking", "ransomware threats to water utilities",
        "security of industrial control systems", "state-sponsored intrusion into telecoms networks",
        "incident response for operators of essential services"],
     [("Law", "critical race theory in legal scholarship"),
      ("Cardiology", "heart attacks and cardiovascular risk")]),
    ("What is the best way to tax wealth?", "Taxation", "Public economics", [
        "capital gains and inheritance levies", "property and land value duties",
        "the fiscal treatment of assets held by the richest households",
        "inequality of net worth and redistribution through the revenue system",
        "annual levies on fortunes and capital flight"],
     [("Economic history", "the wealth of Tudor merchants"),
      ("Remote sensing", "the wealth of data from satellite images of crops")]),
    ("How can more women be encouraged into engineering careers?", "Skills", "Sociology", [
        "gender gaps in STEM professions", "girls' participation in physics and maths",
        "female representation in the technical workforce", "mentoring and retention of female engineers",
        "diversity in apprenticeships for technicians"],
     [("Sports science", "careers of professional footballers"),
      ("Biochemistry", "engineering of protein structures")]),
    ("How will artificial intelligence change the labour market?", "Artificial intelligence", "Economics", [
        "automation and job displacement", "machine learning's effect on wages and occupations",
        "robots in workplaces and employment", "the future of work and reskilling as algorithms take on tasks",
        "productivity effects of generative models on office workers"],
     [("History", "labour history of the 1926 general strike"),
      ("Horticulture", "market gardening and horticulture")]),
    ("How can flooding risk be managed in coastal towns?", "Climate adaptation", "Geography", [
        "sea level rise and shoreline management", "storm surge defences",
        "managed realignment of estuaries", "inundation modelling for seaside communities",
        "resilience of low-lying settlements to tidal surges"],
     [("Finance", "risk management in investment banking"),
      ("History", "town twinning and civic history")]),
    ("How can we keep drinking water safe from chemical pollution?", "Water", "Environmental science", [
        "PFAS 'forever chemicals' in supplies", "contaminants in reservoirs and aquifers",
        "pesticide residues reaching the tap", "treatment of emerging micropollutants",
        "groundwater quality monitoring and toxicology"],
     [("Public health", "drinking culture and alcohol harm"),
      ("Chemistry", "chemical synthesis of new catalysts")]),
    ("Should the voting age be lowered to sixteen?", "Democracy", "Politics", [
        "youth enfranchisement and electoral participation", "political engagement of teenagers",
        "citizenship education and first-time electors", "franchise reform and turnout among under-18s",
        "what the Scottish independence referendum showed about sixteen-year-olds at the ballot box"],
     [("Corporate governance", "voting in company boardrooms"),
      ("Medicine", "lowered blood pressure in clinical trials")]),
    ("How can online harms to children be reduced?", "Online safety", "Media studies", [
        "protecting minors on social platforms", "age verification and moderation of harmful content",
        "grooming and exploitation of young users on the internet", "digital safeguarding for under-13s",
        "platform design and kids' wellbeing"],
     [("English literature", "children's literature and reading for pleasure"),
      ("Logistics", "online retail and delivery vans")]),
    ("What can be done to build more affordable homes?", "Housing", "Planning", [
        "housing supply and planning permission", "social rented dwellings and council house building",
        "land value capture to fund cheap housing", "construction productivity and modular building",
        "rents and house prices for low-income households"],
     [("Pharmacy", "affordable medicines and drug pricing"),
      ("Management", "team building in organisations")]),
    ("How can antibiotic resistance be slowed?", "Antimicrobial resistance", "Microbiology", [
        "superbugs and stewardship of antimicrobials", "overprescribing of antibacterial drugs in primary care",
        "drug-resistant infections in hospitals", "livestock use of antimicrobials and One Health",
        "incentives to develop novel antibacterials"],
     [("History", "resistance movements in occupied Europe"),
      ("Physics", "electrical resistance of nanowires")]),
    ("How can public transport in rural areas be improved?", "Transport", "Transport studies", [
        "bus services in the countryside", "demand-responsive minibuses for villages",
        "access to mobility for isolated communities", "railway branch lines and community rail",
        "travel options for households without a car outside cities"],
     [("Sociology", "rural sociology of farming families"),
      ("Geology", "transport of sediments in rivers")]),
    ("How do we recruit and retain enough teachers?", "Education", "Education", [
        "workforce supply in schools and staff turnover", "pay and workload of classroom practitioners",
        "routes into initial training for the profession", "attrition of early-career educators",
        "shortages of maths and physics specialists in secondary schools"],
     [("Clinical trials", "recruiting patients for clinical trials"),
      ("Civil engineering", "retaining walls in geotechnical engineering")]),
    ("How can the UK secure supplies of critical minerals?", "Industrial strategy", "Earth sciences", [
        "lithium, cobalt and rare earths supply chains", "sourcing and recycling battery materials",
        "strategic stockpiles of metals for the energy transition", "mining geopolitics and resource diplomacy",
        "a circular economy for electronic waste and metal recovery"],
     [("Paediatrics", "mineral nutrition in infants"),
      ("Psychiatry", "secure hospitals and forensic psychiatry")]),
    ("What is the evidence on a four-day working week?", "Employment", "Management", [
        "shorter hours pilots and productivity", "reduced working time and employee wellbeing",
        "compressed schedules in firms", "time use and the length of the workweek",
        "trials of 32-hour contracts in the public sector"],
     [("Law", "the law of evidence in criminal trials"),
      ("Tourism", "week-long festivals and tourism")]),
    ("How can obesity in children be tackled?", "Public health", "Nutrition", [
        "childhood overweight and diet", "sugar taxes and junk food advertising to kids",
        "school meals and physical activity", "healthy weight in the early years",
        "the food environment around schools and takeaways"],
     [("Family law", "children's rights in family courts"),
      ("Veterinary science", "obesity in pet dogs")]),
    ("How should the state respond to a future pandemic?", "Emergency preparedness", "Public health", [
        "outbreak preparedness and epidemic modelling",
        "stockpiles of protective equipment and surge capacity",
        "lockdowns, test and trace and non-pharmaceutical interventions",
        "governance of health emergencies and lessons from COVID-19", "surveillance of zoonotic spillover"],
     [("Business", "futures studies and foresight in business strategy"),
      ("Survey methodology", "survey response rates")]),
    ("How can we make the court system faster?", "Justice", "Law", [
        "Crown Court backlogs and trial delays", "digital hearings and virtual tribunals",
        "case management in civil justice", "legal aid and access to judges",
        "listing and scheduling of criminal cases"],
     [("History", "royal court culture in the Renaissance"),
      ("Ecology", "system dynamics modelling of ecosystems")]),
    ("How can we reduce plastic pollution in the oceans?", "Environment", "Marine science", [
        "marine litter and microplastics", "packaging waste and deposit return schemes",
        "single-use bottles and circular design", "debris in seas and lost fishing gear",
        "extended producer responsibility for polymers"],
     [("Surgery", "plastic surgery and reconstructive medicine"),
      ("Astronomy", "light pollution and dark skies")]),
    ("How can mental health support for university students be improved?", "Mental health", "Psychology", [
        "wellbeing of undergraduates and campus counselling", "anxiety and depression in higher education",
        "suicide prevention in colleges", "psychological services for learners on campus",
        "the move from school to higher education and emotional distress among young adults"],
     [("Mathematics education", "mental arithmetic in primary maths"),
      ("Innovation studies", "university spin-outs and technology transfer")]),
    ("What are the risks of gene editing in crops?", "Genomics", "Plant sciences", [
        "CRISPR in agriculture and plant breeding", "precision bred food and its regulation",
        "genetically modified organisms and biosafety", "public attitudes to engineered plants",
        "genome technologies for wheat and rice"],
     [("Publishing", "editing of scientific journals and peer review"),
      ("Film studies", "film editing and screen studies")]),
]
# fmt: on
# Themes nobody asks about: (discipline, topic, three expertises); three experts each.
UNASKED = [
    ("Astrophysics", "Space", ["space debris and orbital congestion", "satellite constellations", "launch licensing"]),
    ("Physics", "Nuclear", ["fusion energy and tokamaks", "plasma confinement", "tritium breeding"]),
    ("Marine biology", "Fisheries", ["fish stock assessment", "quota setting for North Sea cod", "aquaculture"]),
    ("Electronic engineering", "Semiconductors", ["chip fabrication", "compound semiconductors", "lithography"]),
    ("Museum studies", "Culture", ["museum collections and repatriation", "archives", "curating exhibitions"]),
    ("Sport management", "Sport", ["governance of football clubs", "doping control", "Olympic legacy"]),
    ("Physics", "Quantum", ["quantum computing hardware", "quantum sensing", "post-quantum cryptography"]),
    ("War studies", "Defence", ["defence procurement", "military alliances", "arms control treaties"]),
    ("Atmospheric science", "Air quality", ["nitrogen dioxide from traffic", "wood burning stoves", "ozone"]),
    ("Statistics", "Official statistics", ["census methods", "measuring inflation", "survey weighting"]),
]
RANKS = ["Professor of", "Reader in", "Senior Lecturer in", "Research Fellow in", "Lecturer in", "Policy Fellow in"]
VERBS = ["Researches", "Works on", "Studies", "Leads a programme on", "Advises government on"]
METHODS = [
    "Uses surveys and administrative data.",
    "Runs randomised trials with local partners.",
    "Has given evidence to select committees.",
    "Combines interviews with statistical modelling.",
    "Works with councils and charities.",
    "Publishes on international comparisons.",
]
FIRST = "Amara Ben Chloe Daniel Esther Farid Grace Hugo Isla Jonah Kiran Lena Marcus Nadia Oliver Priya".split()
LAST = "Hart Okafor Lindqvist Mercer Nwosu Haddad Whitfield Adebayo Brennan Castillo Dunmore Evans Quinn".split()
LAST += "Fitzgerald Goldberg Hussain Ivanova Jensen Kowalski Lambert Moreau Nakamura Patel".split()


def build() -> dict:
    names = (f"{first} {last}" for last, first in itertools.product(LAST, FIRST))
    serial = itertools.count(1)
    experts, questions = [], []

    def expert(discipline: str, expertise: str, topics: list[str]) -> str:
        n = next(serial)
        experts.append(
            {
                "id": f"e{n:03d}",
                "name": next(names),
                "title": f"{RANKS[n % len(RANKS)]} {discipline}",
                "department": f"Department of {discipline}",
                "biography": f"{VERBS[n % len(VERBS)]} {expertise}. {METHODS[n % len(METHODS)]}",
                "topics": topics,
            }
        )
        return experts[-1]["id"]

    for number, (question, topic, discipline, relevant, traps) in enumerate(ASKED, start=1):
        ids = [expert(discipline, text, [topic] if k in (0, 3) else []) for k, text in enumerate(relevant)]
        for trap_discipline, text in traps:
            expert(trap_discipline, text, [])
        questions.append({"id": f"q{number:02d}", "question": question, "topics": [topic], "relevant": ids})
    for discipline, topic, expertises in UNASKED:
        for k, text in enumerate(expertises * 3):
            expert(discipline, text, [topic] if k < 3 else [])
    return {"questions": questions, "experts": experts}


if __name__ == "__main__":
    data = build()
    assert len(data["questions"]) == 30 and len(data["experts"]) == 300, (len(data["questions"]), len(data["experts"]))
    path = Path(__file__).with_name("matching_set.json")
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{path}: {len(data['questions'])} questions, {len(data['experts'])} experts")

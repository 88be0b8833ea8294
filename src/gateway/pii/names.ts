/**
 * Name lists for PERSON, written for this project from general knowledge: common given names and
 * surnames across English, German, Dutch, Nordic, Finnish, French, Italian, Spanish, Portuguese,
 * Slavic, Baltic, Hungarian, Greek, Turkish, Arabic, Persian, South Asian, East Asian and African
 * naming traditions. Lower case, diacritics removed (matching folds the text the same way).
 *
 * `AMBIGUOUS_GIVEN` are given names that are also ordinary English words (`Will`, `May`,
 * `Mark`): alone they are not enough, they need a neighbouring name, a title or a context phrase.
 */

const GIVEN = `
aaron abby abdul abdullah abel abigail abraham ada adam adele adeline adrian adriana adrienne agata agatha
agnes agnieszka ahmad ahmed aidan aiden aileen aino aisha akira akiko alan alana albert alberto albin alec
aleksander aleksandra aleksandr aleksei alena alessandra alessandro alessio alex alexa alexander alexandra
alexandre alexandru alexei alexis alfie alfonso alfred alfredo ali alice alicia alina aline alisa alison
alistair alla allan allen allison alma alois alojzy alvaro alvin amalia amanda amber amelia amelie amina
amir amit amos amy ana anastasia anders andre andrea andreas andrei andres andrew andrey andrzej andy
aneta angel angela angelica angelika angelo angus anita anja anka ann anna annabel annalena anne anneli
annette annie annika anouk anselm anthony anton antonella antoni antonia antonin antonio antti anu anya
apolonia aram arash ariana ariel arjun arlene armando arne arnold arnav aron arthur arturo arvid asa asha
ashley ashok asif astrid aurelia aurelie aurora austin ava axel ayaan ayesha aylin ayumi baptiste barbara
barbora barry bart bartholomew bartosz basil bastian beata beatrice beatrix beatriz beau belinda ben benedikt
benito benjamin bernadette bernard bernardo bernd bernhard berit bertha beth bethany betty beverly bianca
bilal birgit birgitta bjorn blake blanca bo bogdan bogumil boris bozena brad bradley brandon brenda brendan
brian bridget brigitte britta brooke bruce bruno bryan burak caitlin caleb callum calvin camila camille
candice cara carina carl carla carlo carlos carmen carol carolina caroline carolyn carsten casey caspar
cassandra catalina catarina catherine cathy cecilia cecile cedric celia celine cesar chad chandra chantal
charles charlie charlotte chelsea cheryl chiara chloe chris christa christian christina christine christoph
christophe christopher cindy claire clara clare clarence claudia claudio claus clemens clement cliff clifford
clint clyde cody colin colleen connor conrad constance constantin cora corinna cornelia cornelius courtney
craig cristian cristina curtis cynthia cyril dagmar dagny dalia damian damien dan dana daniel daniela danielle
danny daria darius darko darren daryl dave david davide dawid dean deborah debra declan deepak deirdre
delia denis denise dennis derek desmond diana diane diego dieter dimitri dimitrios dina dinesh dirk
dmitri dmitry dolores dominic dominik dominika dominique donald donna dora doris dorota dorothy doug douglas
duncan dusan dylan eamon ebba eddie edgar edith edmund edoardo eduard eduardo edward edwin eero efe eileen
eino elaine elena eleanor eleni elias elif elijah elin elina elisa elisabeth elise eliska eliza elizabeth
ella ellen ellie elliot elmer eloise elsa elsie elzbieta emil emile emilia emilie emilio emily emin emine
emma emmanuel emre enrico enrique enzo eric erik erika erin ernest ernesto ernst erwin esra esteban
estelle esther ethan eugen eugene eva evan evelyn ewa ewan ezra fabian fabio fabrizio farah farhad farid
fatima fatma federica federico felicia felicity felipe felix fernanda fernando filip filipa finn fiona flavia
flora florence florian frances francesca francesco francis francisco franck frank franz franziska fred
freddie frederick frederik frederikke freya frida friedrich fritz fumiko gabriel gabriela gabriele gabrielle
gail galina gareth garrett gary gavin gemma gene genevieve geoffrey george georg georgia georgios gerald
geraldine gerard gerardo gerhard gianluca gianni gideon gijs gilbert gillian gina giorgio giovanna giovanni
gisela giulia giulio giuseppe gladys glen glenn gloria gonzalo gordon graham greg gregor gregory greta
gretchen gudrun guillaume guillermo gunnar gunter gustav gustavo gwen gwendolyn hakan halina hamid
hana hannah hannes hans harald harold harper harriet harris harry harvey hasan hassan hayden heather hector
hedwig heidi heike heinrich heinz helen helena helene helga helmut hendrik henri henrik henrike henry herbert
herman hermann hilda hilde hiroshi hiroko holger horst howard hristo hubert hugh hugo hussein ian
ibrahim ida igor ilona ilse imogen imran ines inga inge ingrid ioana ioannis irena irene irina iris irma
isaac isabel isabella isabelle isak ismail ivan ivana ivo iwona jack jackie jackson jacob jacqueline jacques
jaime jakob jakub james jamie jan jana jane janet janice janina janne jaroslav jaroslava jaroslaw jason
jasmin jasmine javier jay jayden jean jeanette jeanne jeff jeffrey jennifer jenny jens jeremy jerome jerry
jesper jessica jesus jill jim jimmy jiri jo joachim joan joanna joao jocelyn jodie joe joel johan
johann johanna johannes john johnny jolanta jon jonas jonathan jordan jorge jorgen jose josef josefina
joseph josephine josh joshua josip juan juana judith judy jules julia julian juliana julie julien
julio juliusz jun june junichi jurgen justin justyna jutta kai kamil kamila kang karen karim
karin karina karl karla karol karolina kasper katalin katarina katarzyna kate katharina katherine kathleen
kathryn kathy katie katja katrin kay kayla kazimierz keith kelly ken kenji kenneth kerstin kevin khalid kim
kimberly kirsten klaus klara konrad kristian kristiana kristin kristina kristof krisztina krzysztof kumar
kurt kyle lana lara lars laszlo laura lauren laurence laurent lea leah lee leena leif leila lena leo leon
leonardo leonie leopold leslie leszek lewis liam lidia lili liliana lily lina linda lindsay lisa lise liv
liz lorena lorenzo lori louis louisa louise luana luc luca lucas lucia lucie lucy ludmila ludwig luigi luis
luisa lukas lukasz luke lydia lynn maciej madeleine madison magda magdalena magnus mahmoud maja malcolm
malgorzata malik manfred manon manuel manuela marc marcel marcela marcello marcin marco marcos marcus
margaret margarita margit margot maria mariam marian mariana marianne marie marina mario marion marisa
marius marjorie marko markus marlene marta martha martin martina marty marwa mary maryam marzena masako
mason massimo mateo mateusz mathias mathilde matilda matt matteo matthew matthias matti maureen maurice
mauricio maurizio max maxim maxime maximilian maya megan mehmet mei melanie melissa mercedes meryem mette
mia michael michaela michal michel michele michelle miguel mika mikael mikhail miklos milan milena milos
mina minna miranda miriam mirko miroslav mohamed mohammad mohammed moira molly monica monika morgan
mustafa nadia nadine nancy naomi natalia natalie natasha nathalie nathan nathaniel neil nelson nicholas
nick nicola nicolas nicole niels nikita niklas nikola nikolai nikolaos nils nina noah noel noelle nora
norbert norma norman ola olaf olga oliver olivia olivier omar oscar oskar otto owen pablo pamela paola
paolo parker pascal patricia patrick patrik paul paula paulina pauline pavel pawel pedro peggy penelope
per peter petr petra philip philipp philippe phillip phoebe pierre pietro piotr priya przemyslaw
rachel radek rafael rafal raffaele rahul raimund rainer raj rajesh ralf ralph ramon randy raphael raquel
rashid raul ray raymond rebecca regina reinhard rene renata renate renee ricardo riccardo richard
rick rickard rita rob robert roberta roberto robin rodrigo roger roland rolf roman romy ronald ronja rosa
rosalind rosemary ross ruben rudolf rui rupert russell ruth ryan ryszard sabina sabine sachiko sally
salvatore sam samantha sami samir samuel sandra sanjay sara sarah sascha satoshi saul scott sean
sebastian sebastien selina serena sergei sergey sergio seth shane shannon sharon shaun sheila shirley
siddharth sidney siegfried sigrid silke silvia simon simona simone sina siobhan sofia sofie solveig sonia
sonja sophia sophie stanislav stanislaw stefan stefania stefano steffen stella stephan stephanie stephen
steve steven stig stuart susan susanne suzanne svante sven svetlana sylvia sylvie szymon takeshi tamara
tanja tanya tara tatiana tatjana ted teresa terry thea theo theodor theresa thierry thomas thor thorsten
tiago tiffany tim timo timothy tina tobias todd tom tomas tomasz toni tony torsten tracy travis
trevor tristan troels tyler ulla ulrich ulrike ursula uwe valentin valentina valeria valerie vanessa
vaclav vasile vera veronica veronika vicente victor victoria viktor viktoria vilmer vincent
vincenzo viola violet virginia vitor vivian vladimir vojtech walter wanda warren wayne wendy werner wiktor
wilhelm wilhelmina willem william willy wim winston wojciech wolfgang xavier yannick yasmin yasmine yuki
yuri yusuf yvonne zachary zainab zara zbigniew zdenek zoe zofia zoltan zuzana zygmunt
aaliyah abdulla adebayo adwoa aiko akua amara ama amani aminata anil aarav ayodele babajide chidi chiamaka
chinedu chioma emeka fatou folake ibrahima kwabena kwame kofi lakshmi mamadou moussa ngozi nkechi obinna
oluwaseun seun thabo themba tunde uche yaw zanele sipho lwazi naledi
bao chen fang feng hui jian jie jing lei li ling mei min ming ning ping qiang wei xia xiao xin xue yan yang
yi ying yong yu yun zhen zhi hao hong hua
haruto hina hiroki kaito kazuki kenta mai makoto mariko masato minoru naoki rin ryo sakura shota sora taro
yoko yoshiko yuka yumi yuto daisuke hideo kaori
jisoo minji seojun hyun jae jiwoo soo young ji seo-yeon min-jun
anh duc hanh hoa huong hung linh minh nga ngoc phuong quang thanh thao trang tuan
aditi aditya akash amitabh ananya anjali arvind deepika divya gaurav harish kavya krishna lalit manish meera
mohan neha nikhil pooja pradeep prakash rakesh ramesh ravi rohit sachin sandeep sanjana shreya sunil suresh
swati vijay vikram vinod
reza ali-reza mehdi nasrin parisa shirin dariush kaveh leyla
ahmet ayse burcu cem deniz ebru elif emel gizem hulya kemal murat ozlem selin serkan yasemin
ayla layla nour omar rania salma samira tariq yasmin youssef zaid
sigurdur gudmundur kristjan olafur solvi sigridur helga bjarni einar ragnar
aleksi eetu ilkka jarmo juha jukka kalle lauri mikko pekka sanna satu sirkka tapani tuomas ville
marketa jitka hana lenka zdenka bohumil bozidar branko dragan goran zoran vesna snezana mirjana jelena
aleksa nikola milica ljiljana dragana zeljko zlatko mladen ante ivica stjepan mateja spela urska tjasa
ziga rok blaz anze nejc primoz ales bostjan janez franc marjeta metka mojca nika nusa jasna bojana
ildiko erzsebet gyorgy istvan janos jozsef mihaly sandor tibor zsofia zsuzsanna eszter reka timea
agnes orsolya kinga boglarka levente bence balazs csaba gergely attila norbert gabor peter
gunnhildur hallgrimur hrafnhildur sigrun thorunn thordis steinunn bryndis kolbrun thorsteinn arnar
birkir haukur hordur snorri stefania vigdis johanna asdis
eeva irja kaarina kirsi leena liisa marjatta minna paivi pirjo raija riitta seija sinikka tarja tuula
ulla-maija aki antero arto esa hannu heikki jari jyrki kari kimmo marko markku olli pasi petri raimo
reijo risto seppo tapio teemu tero timo vesa
ewelina grazyna hanna jadwiga kazimiera krystyna lucyna marianna renata stanislawa teresa urszula
wieslawa zdzislawa zofia bogdan czeslaw dariusz grzegorz henryk jacek janusz jerzy kamil leszek
mariusz mieczyslaw rafal roman slawomir tadeusz waldemar wladyslaw zbigniew
ekaterina elizaveta evgenia irina ksenia larisa lyudmila margarita nadezhda oksana polina raisa
valentina yelena zinaida anatoly arkady boris fyodor gennady grigory ilya kirill konstantin leonid
maksim nikolay oleg pavel ruslan semyon stanislav timur vadim valery vasily vyacheslav yaroslav yevgeny
nino tamar natia eka giorgi levan davit irakli zurab lasha

`;

const SURNAMES = `
abbott abe acker adams adamski adamska aguilar ahmed alexander ali allen alvarez amato andersen anderson
andersson andrade antonelli araujo armstrong arnold ascher atkinson austin avalos bailey baker baldwin ball
banks barber barnes barrett barros bauer baumann beck becker bell bellini benedetti bennett berg berger
bergstrom bernard berry bianchi bishop black blanco blom bock bogdan bolt bonnet borg bosch bowman boyd
bradley brandt braun brooks brown bruno bryant buchanan bucher burke burns busch butler caldwell campbell
cardoso carlsson carr carroll carter carvalho castillo castro chambers chang chapman chen christensen clark
clarke cole coleman collins colombo conti cook cooper costa cox crawford cruz cunningham curtis dahl
dalton daniels davidson davies davis dawson day de deluca dias diaz dickson dietrich dijkstra dixon doyle
dubois duncan dunn dupont durand edwards ek eklund elliott ellis engel eriksson esposito evans fabbri
farrell fernandes fernandez ferrari ferreira fischer fisher fitzgerald fleming fletcher flores fontana
ford foster fox francis franke fraser freeman freud friedrich fuchs fukuda garcia gardner garrett gauthier
gibson gilbert gomes gomez gonzalez goodman gordon graham grant gray greco green greene griffin gross
gruber gunther gustafsson guzman haas hahn hall hamilton hansen hanson harris harrison hart hartmann
harvey hayes heinrich henderson hendriks henry herman hernandez herrera hicks hill hoffmann hofmann holm
holmberg holmes horvat horvath howard huber hudson hughes hunt hunter ivanov ivanova jackson jacobs jakobsen
jansen janssen jensen jimenez johansen johansson johnson johnston jones jordan jorgensen kaczmarek kaiser
karlsson kelly kennedy keller king klein koch kowalski kowalska kozlov kraus krause kruger kuhn lambert
lang lange larsen larsson laurent lee lehmann lewis lindberg lindholm lindqvist lindstrom ljungberg
lombardi lopez lorenz lucas lundberg lundgren lundqvist maier marchetti marin marino marshall martin
martinez martinsson mason matthews mayer mazur mcdonald mckenzie medina meier mendes
mendoza meyer miller mills mitchell molnar moller montgomery moore morales moreau moreno morgan moretti
morris muller murphy murray nagy nelson neumann nguyen nielsen nikolaidis nilsson nishiyama novak nowak
nowakowski obrien oconnor olsen olson olsson ortiz owens palermo palmer papadopoulos park parker
patel paulsen pavlov pedersen pereira perez perry persson peters petersen peterson petrov petrovic phillips
pierce pinto popescu popov porter powell pratt price quinn ramirez ramos rasmussen reed reid reyes
reynolds ricci richard richards richardson richter riley rivera roberts robertson robinson rodrigues
rodriguez rogers romano romero rose ross rossi roussel roux ruiz russell russo ryan sanchez sanders
santos schafer schmidt schmitt schneider scholz schreiber schubert schulz schumacher schwarz scott
sedlacek shaw silva simon simpson sinclair smith snyder sommer sorensen sousa
spencer stanley stevens stewart stone sullivan svensson swanson szabo szasz takahashi tanaka taylor
thomas thompson thomsen torres toth tucker turner valentini vargas vasquez vega villa
vogel volkov wagner walker wallace walsh walter ward warren watson weber webb weiss wells werner west
white wiggins williams williamson wilson winter wolf wong wood woods wright wu xu yamamoto yang young
zimmermann zhang zhao zhou
sigurdsson gudmundsson jonsson magnusson einarsson kristjansson
korhonen virtanen makinen nieminen makela hamalainen laine heikkinen
koskinen jarvinen lehtonen lehtinen saarinen salminen heinonen niemi heikkila kinnunen salonen turunen
kaczmarczyk wisniewski wojcik kaminski lewandowski zielinski szymanski wozniak dabrowski kozlowski
jankowski wojciechowski kwiatkowski krawczyk piotrowski grabowski pawlowski michalski nowicki adamczyk
dudek zajac wieczorek jablonski majewski olszewski stepien malinowski jaworski pawlak witkowski walczak
novakova svoboda dvorak cerny prochazka kucera vesely horak nemec pokorny marek pospisil hajek jelinek
kral ruzicka benes fiala sedlak dolezal zeman kolar navratil cermak vanek urban blaha
kovacs toth szabo nagy horvath varga kiss molnar nemeth farkas balogh papp takacs juhasz
petrovic jovanovic nikolic markovic djordjevic stojanovic ilic stankovic pavlovic milosevic
kovacevic babic maric juric novak kovac zupancic horvat krajnc
ivanov smirnov kuznetsov popov vasiliev petrov sokolov mikhailov novikov fedorov morozov volkov alekseev
lebedev semenov egorov pavlov kozlov stepanov nikolaev orlov andreev makarov nikitin zakharov zaitsev
solovyov borisov yakovlev grigoriev romanov vorobyov sergeev frolov alexandrov dmitriev korolev gusev
kiselev ilyin maksimov polyakov sorokin vinogradov kovalev belov medvedev antonov tarasov zhukov baranov
denisov kovaleva
yilmaz kaya demir sahin celik yildiz yildirim ozturk aydin ozdemir arslan dogan kilic aslan cetin kara
koc kurt ozkan simsek
khan hussain rahman haddad nasser saleh mansour karimi hosseini ahmadi rezaei moradi mohammadi
sharma singh gupta kumar verma mehta joshi reddy rao iyer nair menon pillai chatterjee banerjee mukherjee
das bose ghosh sen kapoor malhotra agarwal chopra desai shah
wang li liu chen yang huang zhao zhou wu xu sun ma zhu hu guo he lin luo zheng liang xie tang han cao
sato suzuki takahashi watanabe ito nakamura kobayashi kato yoshida yamada sasaki yamaguchi matsumoto inoue
kimura hayashi shimizu yamazaki mori abe ikeda hashimoto ishikawa ogawa okada goto hasegawa murakami
kim lee park choi jung kang cho yoon jang lim shin han oh seo kwon hwang ahn song
tran le pham hoang phan vu dang bui do ho ngo duong ly
okafor okonkwo adeyemi mensah owusu boateng asante diallo traore kamara ndlovu dlamini nkosi mokoena
banda phiri mwangi otieno kamau wanjiru
papadakis georgiou dimitriou konstantinou nikolaou christodoulou ioannou
devries vandenberg vandijk bakker visser smit meijer mulder degroot bos vos peters hendriks
dekker brouwer dijkman verhoeven
schroeder neumann zimmermann krueger hartmann lange schmitz krause werner lehmann koehler
fontaine girard bonnet lambert fontana rousseau vincent mercier blanc guerin boyer garnier chevalier
francois legrand gauthier perrin robin clement morin nicolas henry roussel mathieu
bjorklund lindgren nystrom sandberg forsberg sjoberg wallin engstrom danielsson hakansson lind
`;

const AMBIGUOUS = `
will may june april august mark bill grant rose hope faith joy summer dawn art guy jack frank sue pat rich
carol holly ivy lily max miles young king brown white green black long little bell price rice hall wood
hill stone moore walker bishop baker cook mason carter parker porter hunter fisher turner ward reed king
page chase dean drew gene ray roy sky river rain storm august autumn winter jay lane chance crystal amber
penny ginger honey cash don al ed eve jo ken lee sam tim tom van wolf fox lucky major earl duke prince
royal golden christian justice destiny star brook field gray grey worth wells banks may lucas ali angel
will young rose jordan paris york sydney chelsea madison austin dallas houston florence victoria georgia
virginia carolina india china kenya israel jersey
`;

function words(list: string): ReadonlySet<string> {
  return new Set(list.split(/\s+/).filter((w) => w.length > 0));
}

export const GIVEN_NAMES = words(GIVEN);
export const SURNAME_SET = words(SURNAMES);
export const AMBIGUOUS_GIVEN = words(AMBIGUOUS);

export default "<div>toolbar</div>";
